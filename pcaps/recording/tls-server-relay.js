'use strict';
// The pool's TLS leg, stunnel-server style, with Node's own `tls` module: terminates TLS on
// HOST:PORT and carries each connection in plain text to the Stratum pool (stratum-server.js)
// on 127.0.0.1:TARGET_PORT. Only this TLS leg is captured.
// Usage: node tls-server-relay.js HOST PORT TARGET_PORT CERT_PEM KEY_PEM [--max-version TLSv1.2]
//   --max-version TLSv1.2   as xmrig-proxy's "tls": {"protocols": "TLSv1.2"}: the
//                           Certificate message then travels in clear
// Exits once its one relayed connection has closed.
const fs = require('fs');
const net = require('net');
const tls = require('tls');

const [host, port, targetPort] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const [certFile, keyFile] = [process.argv[5], process.argv[6]];
const i = process.argv.indexOf('--max-version');
const maxVersion = i > 0 ? process.argv[i + 1] : undefined;

const options = { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
if (maxVersion) options.maxVersion = maxVersion;

const server = tls.createServer(options, (secure) => {
  server.close(); // one connection only
  console.log('tls-server: ' + secure.remoteAddress + ':' + secure.remotePort + ' -> ' + host + ':' + port
    + ' ' + secure.getProtocol() + ' ' + secure.getCipher().name + ' sni=' + (secure.servername || '(none)'));
  const plain = net.connect(targetPort, '127.0.0.1');
  secure.pipe(plain);
  plain.pipe(secure);

  let closed = 0;
  const done = () => { if (++closed === 2) setTimeout(() => process.exit(0), 100); };
  secure.on('close', () => { plain.end(); done(); });
  plain.on('close', () => { secure.end(); done(); });
  secure.on('error', (e) => console.error('tls-server: tls side', e.message));
  plain.on('error', (e) => { console.error('tls-server: plain side', e.message); process.exitCode = 1; secure.destroy(); });
});

server.on('tlsClientError', (e) => { console.error('tls-server: handshake failed', e.message); process.exit(1); });
server.listen(port, host, () => console.log('tls-server: listening on ' + host + ':' + port));
