'use strict';
// An ordinary HTTPS/1.1 web server, Node's own `https` module (ALPN "http/1.1"): a few small
// pages and a JSON status resource. Nothing here is mining; it is a trap for false positives.
// Usage: node https-server.js HOST PORT CERT_PEM KEY_PEM
// Stops on SIGTERM.
const fs = require('fs');
const https = require('https');

const [host, port] = [process.argv[2], Number(process.argv[3])];
const [certFile, keyFile] = [process.argv[4], process.argv[5]];

const pages = {
  '/': ['text/html; charset=utf-8', '<!doctype html><html><head><title>Example</title>'
    + '<link rel="stylesheet" href="/style.css"></head><body><h1>It works</h1></body></html>\n'],
  '/style.css': ['text/css', 'body { font-family: sans-serif; margin: 2em; }\n'],
  '/api/status': ['application/json', JSON.stringify({ status: 'ok', version: '1.4.2', uptime: 86400 }) + '\n'],
};

const server = https.createServer({
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
  ALPNProtocols: ['http/1.1'],
}, (req, res) => {
  const page = pages[req.url];
  console.log('https-server: ' + req.socket.remoteAddress + ':' + req.socket.remotePort + ' ' + req.method + ' ' + req.url
    + ' sni=' + (req.socket.servername || '(none)') + ' alpn=' + (req.socket.alpnProtocol || '(none)'));
  if (!page) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': page[0], 'cache-control': 'max-age=60' });
  res.end(page[1]);
});

server.listen(port, host, () => console.log('https-server: listening on ' + host + ':' + port));
process.on('SIGTERM', () => { server.close(); setTimeout(() => process.exit(0), 100); });
