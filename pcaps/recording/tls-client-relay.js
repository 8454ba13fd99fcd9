'use strict';
// The miner's TLS leg, stunnel-client style, with Node's own `tls` module: listens for the
// plain-text Stratum miner (stratum-miner.js) on 127.0.0.1:LISTEN_PORT and carries its one
// connection over TLS to HOST:PORT. Only this TLS leg is captured.
// Usage: node tls-client-relay.js LISTEN_PORT HOST PORT [--sni NAME] [--alpn P1,P2] [--local-address ADDR]
//   --sni NAME            send server_name NAME (XMRig does this only with the pool option "sni": true)
//   (no --sni)            no server_name at all, XMRig's default
//   --alpn P1,P2          offer ALPN protocols (XMRig never does)
//   --local-address ADDR  bind the TLS leg's client socket to ADDR
// Like XMRig, the certificate chain is not verified (XMRig only compares an optional
// configured SHA-256 fingerprint); the fingerprint seen is printed.
// Exits once its one relayed connection has closed.
const net = require('net');
const tls = require('tls');

const [listenPort, host, port] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
const option = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const sni = option('--sni');
const alpn = option('--alpn');
const localAddress = option('--local-address');

const relay = net.createServer({ pauseOnConnect: true }, (plain) => {
  relay.close(); // one connection only
  const options = {
    host,
    port,
    // An empty servername sends no server_name extension.
    servername: sni || '',
    rejectUnauthorized: false,
  };
  if (alpn) options.ALPNProtocols = alpn.split(',');
  if (localAddress) options.localAddress = localAddress;

  const secure = tls.connect(options, () => {
    const cert = secure.getPeerCertificate();
    console.log('tls-client: ' + secure.localAddress + ':' + secure.localPort + ' -> ' + host + ':' + port
      + ' ' + secure.getProtocol() + ' ' + secure.getCipher().name
      + ' sni=' + (sni || '(none)') + ' alpn=' + (secure.alpnProtocol || '(none)')
      + ' peer CN=' + (cert.subject && cert.subject.CN) + ' sha256=' + cert.fingerprint256);
    plain.pipe(secure);
    secure.pipe(plain);
    plain.resume();
  });

  let closed = 0;
  const done = () => { if (++closed === 2) setTimeout(() => process.exit(0), 100); };
  plain.on('close', () => { secure.end(); done(); });
  secure.on('close', () => { plain.destroy(); done(); });
  plain.on('error', (e) => console.error('tls-client: plain side', e.message));
  secure.on('error', (e) => { console.error('tls-client: tls side', e.message); process.exitCode = 1; plain.destroy(); });
});

relay.listen(listenPort, '127.0.0.1', () => console.log('tls-client: listening on 127.0.0.1:' + listenPort));
