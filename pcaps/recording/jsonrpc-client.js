'use strict';
// JSON-RPC 2.0 client, played by the npm package `jayson`: a few calls over TCP, then the
// same over HTTP, including one batch and one unknown method (error reply).
// Usage: node jsonrpc-client.js HOST TCP_PORT HTTP_PORT
const jayson = require('jayson');

const host = process.argv[2] || '127.0.0.1';
const tcpPort = Number(process.argv[3] || 3333);
const httpPort = Number(process.argv[4] || 8545);

// Sequential numeric ids instead of jayson's default random UUIDs, so recordings repeat.
let nextId = 1;
const generator = () => nextId++;

const tcp = jayson.Client.tcp({ host, port: tcpPort, generator });
const http = jayson.Client.http({ host, port: httpPort, path: '/', generator });

function call(client, method, params) {
  return new Promise((resolve, reject) => client.request(method, params, (err, response) => {
    if (err) { reject(err); return; }
    console.log('jsonrpc-client: ' + method + ' -> ' + JSON.stringify(response));
    resolve(response);
  }));
}

function batch(client, requests) {
  return new Promise((resolve, reject) => client.request(requests, (err, responses) => {
    if (err) { reject(err); return; }
    console.log('jsonrpc-client: batch -> ' + JSON.stringify(responses));
    resolve(responses);
  }));
}

(async () => {
  await call(tcp, 'add', [2, 3]);
  await call(tcp, 'eth_blockNumber', []);
  await call(tcp, 'eth_getBalance', ['0x407d73d8a49eeb85d32cf465507dd71d507100c1', 'latest']);
  await call(tcp, 'no_such_method', []);
  await call(http, 'web3_clientVersion', []);
  await call(http, 'net_version', []);
  await batch(http, [
    http.request('eth_blockNumber', [], undefined),
    http.request('eth_getBalance', ['0x407d73d8a49eeb85d32cf465507dd71d507100c1', 'latest'], undefined),
  ]);
})().then(() => process.exit(0), (err) => { console.error('jsonrpc-client:', err); process.exit(1); });
