'use strict';
// Ordinary JSON-RPC 2.0 service, played by the npm package `jayson`: one TCP (newline
// delimited) listener and one HTTP listener with a node-API-like method set. Nothing here
// is mining; the capture is a trap for false positives.
// Usage: node jsonrpc-server.js HOST TCP_PORT HTTP_PORT
const jayson = require('jayson');

const host = process.argv[2] || '127.0.0.1';
const tcpPort = Number(process.argv[3] || 3333);
const httpPort = Number(process.argv[4] || 8545);

const server = new jayson.Server({
  add: (args, callback) => callback(null, args[0] + args[1]),
  eth_blockNumber: (args, callback) => callback(null, '0x12a05f2'),
  eth_getBalance: (args, callback) => callback(null, '0x1bc16d674ec80000'),
  net_version: (args, callback) => callback(null, '1'),
  web3_clientVersion: (args, callback) => callback(null, 'jayson-test/5.0.0'),
});

const tcp = server.tcp();
const http = server.http();
let listening = 0;
const ready = () => { if (++listening === 2) console.log('jsonrpc-server: listening'); };
tcp.listen(tcpPort, host, ready);
http.listen(httpPort, host, ready);

// The client tells us when it is done by calling no method at all: we just stop on SIGTERM.
process.on('SIGTERM', () => { tcp.close(); http.close(); setTimeout(() => process.exit(0), 100); });
