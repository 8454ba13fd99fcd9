'use strict';
// An ordinary HTTPS client, Node's own `https` module, offering ALPN "h2,http/1.1" like a
// browser and verifying the server's certificate against CA_PEM: one keep-alive connection
// per invocation carrying the listed GET requests in turn.
// Usage: node https-client.js HOST PORT CA_PEM SNI|- PATH... [--local-address ADDR]
//   SNI   the server_name to send and to check the certificate against; "-" sends none (the
//         certificate is then checked against HOST, an IP address in its subjectAltName)
const fs = require('fs');
const https = require('https');

const args = process.argv.slice(2);
const la = args.indexOf('--local-address');
const localAddress = la >= 0 ? args.splice(la, 2)[1] : undefined;
const [host, port, caFile, sni, ...paths] = [args[0], Number(args[1]), args[2], args[3], ...args.slice(4)];

const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
const base = {
  host,
  port,
  agent,
  ca: fs.readFileSync(caFile),
  servername: sni === '-' ? '' : sni,
  ALPNProtocols: ['h2', 'http/1.1'],
  headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', accept: '*/*' },
};
if (localAddress) base.localAddress = localAddress;
if (sni !== '-') base.headers.host = port === 443 ? sni : sni + ':' + port;

const get = (path) => new Promise((resolve, reject) => {
  const req = https.get({ ...base, path }, (res) => {
    const s = res.socket; // handed back to the agent by the time the body has ended
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => { body += chunk; });
    res.on('end', () => {
      console.log('https-client: ' + s.localAddress + ':' + s.localPort + ' -> ' + host + ':' + port + ' ' + s.getProtocol()
        + ' sni=' + (sni === '-' ? '(none)' : sni) + ' alpn=' + (s.alpnProtocol || '(none)')
        + ' GET ' + path + ' ' + res.statusCode + ' ' + body.length + ' bytes');
      resolve();
    });
  });
  req.on('error', reject);
});

(async () => {
  for (const path of paths) {
    await get(path);
    await new Promise((r) => setTimeout(r, 150));
  }
  agent.destroy();
})().catch((e) => { console.error('https-client:', e.message); process.exit(1); });
