'use strict';
// Stratum V2 *shape* on loopback: the byte counts of a real SV2 session, not a real SV2 session.
// No Stratum V2 implementation can be installed on this machine (crates.io is not reachable,
// and neither npm nor Debian has one), so this script plays both sides itself, with Node's
// own modules only.
//
// Usage: node sv2-shape.js server HOST SV2_PORT NEGATIVE_PORT
//        node sv2-shape.js client HOST SV2_PORT NEGATIVE_PORT
//
// SV2_PORT carries the Stratum V2 shape (sv2-spec 04-Protocol-Security.md, and noise-sv2 in
// stratum-mining/stratum):
//   client -> 64 bytes      act 1: the ElligatorSwift ephemeral key       (here: random bytes)
//   server -> 234 bytes     act 2: ephemeral key 64, encrypted static key 64 + 16 MAC,
//                           encrypted SIGNATURE_NOISE_MESSAGE 74 + 16 MAC (here: random bytes)
//   then encrypted frames, each a 6-byte header encrypted alone (22 bytes) and the payload
//   encrypted in blocks of at most 65519 plaintext bytes + 16 MAC each. The frames are real:
//   Stratum V2 mining messages serialized as the spec lays them out, encrypted with
//   ChaCha20-Poly1305 and Noise's nonce (4 zero bytes, 64-bit little-endian counter), and the
//   receiving side decrypts and parses them. Only the keys are not Noise's: each direction's
//   key is SHA-256 over a label and the 298 handshake bytes, since there was no real ECDH.
//
// NEGATIVE_PORT carries a look-alike that is not Stratum V2: a 64-byte opening answered with
// 100 bytes, then 40 bytes each way; a detector must not flag it.
//
// The server exits once it has served one connection on each port; the client exits 0 only
// if every expected answer arrived and decrypted.
const crypto = require('node:crypto');
const net = require('node:net');

const [mode, host = '127.0.0.1', sv2PortText = '47334', negativePortText = '47335'] = process.argv.slice(2);
const sv2Port = Number(sv2PortText);
const negativePort = Number(negativePortText);

const CLIENT_HANDSHAKE = 64;
const SERVER_HANDSHAKE = 64 + (64 + 16) + (74 + 16);
const HEADER = 6;
const MAC = 16;
const ENCRYPTED_HEADER = HEADER + MAC;
const MAX_BLOCK = 65535 - MAC;
const CHANNEL_MSG = 0x8000;

// Message types (sv2-spec 08-Message-Types.md).
const MSG = {
  SetupConnection: 0x00,
  SetupConnectionSuccess: 0x01,
  OpenStandardMiningChannel: 0x10,
  OpenStandardMiningChannelSuccess: 0x11,
  NewMiningJob: 0x15,
  SubmitSharesStandard: 0x1a,
  SubmitSharesSuccess: 0x1c,
  SetNewPrevHash: 0x20,
};
const NAMES = Object.fromEntries(Object.entries(MSG).map(([name, type]) => [type, name]));

// ---- serialization (sv2-spec 03-Protocol-Overview.md 3.1: little-endian throughout) ----
const u8 = (v) => Buffer.from([v]);
const u16 = (v) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
const f32 = (v) => { const b = Buffer.alloc(4); b.writeFloatLE(v); return b; };
const str0255 = (s) => Buffer.concat([u8(Buffer.byteLength(s)), Buffer.from(s, 'ascii')]);
const b032 = (bytes) => Buffer.concat([u8(bytes.length), bytes]);
const u256 = (hex) => Buffer.from(hex, 'hex').reverse();
const none = () => u8(0);   // OPTION[T] empty

// Fixed field values so every recording carries the same plaintext sizes.
const messages = {
  setupConnection: () => Buffer.concat([
    u8(0), u16(2), u16(2), u32(0x1),           // mining protocol, versions 2..2, REQUIRES_STANDARD_JOBS
    str0255(host), u16(sv2Port),
    str0255('PoolDetector'), str0255('shape-recorder'), str0255('sv2-shape.js'), str0255(''),
  ]),
  setupConnectionSuccess: () => Buffer.concat([u16(2), u32(0)]),
  openStandardMiningChannel: () => Buffer.concat([
    u32(1), str0255('pooldetector.rig1'), f32(1e12), u256('ff'.repeat(32)),
  ]),
  openStandardMiningChannelSuccess: () => Buffer.concat([
    u32(1), u32(1), u256('00000000ffff0000000000000000000000000000000000000000000000000000'),
    b032(Buffer.from('08000002', 'hex')), u32(0),
  ]),
  newMiningJob: () => Buffer.concat([
    u32(1), u32(7), none(), u32(0x20000000),
    u256('4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b'),
  ]),
  setNewPrevHash: () => Buffer.concat([
    u32(1), u32(7), u256('00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054'),
    u32(1700000000), u32(0x17034219),
  ]),
  submitSharesStandard: (sequence) => Buffer.concat([
    u32(1), u32(sequence), u32(7), u32(sequence === 1 ? 0xb2957c02 : 0x2c5f1a9e), u32(1700000001), u32(0x20000000),
  ]),
  submitSharesSuccess: (sequence) => Buffer.concat([u32(1), u32(sequence), u32(1), u64(1)]),
};

// ---- Noise transport framing (sv2-spec 04-Protocol-Security.md 4.6) ----
class CipherState {
  constructor(key) { this.key = key; this.n = 0n; }
  nonce() { const b = Buffer.alloc(12); b.writeBigUInt64LE(this.n, 4); this.n++; return b; }
  encrypt(plain) {
    const c = crypto.createCipheriv('chacha20-poly1305', this.key, this.nonce(), { authTagLength: MAC });
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  }
  decrypt(sealed) {
    const d = crypto.createDecipheriv('chacha20-poly1305', this.key, this.nonce(), { authTagLength: MAC });
    d.setAuthTag(sealed.subarray(sealed.length - MAC));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - MAC)), d.final()]);
  }
}

function ciphertextLength(plainLength) {
  const blocks = Math.ceil(plainLength / MAX_BLOCK);
  return plainLength + blocks * MAC;
}

function encodeFrame(cipher, type, payload) {
  const extension = [MSG.NewMiningJob, MSG.SubmitSharesStandard, MSG.SubmitSharesSuccess, MSG.SetNewPrevHash].includes(type) ? CHANNEL_MSG : 0;
  const header = Buffer.concat([u16(extension), u8(type), u32(payload.length).subarray(0, 3)]);
  const parts = [cipher.encrypt(header)];
  for (let start = 0; start < payload.length; start += MAX_BLOCK) {
    parts.push(cipher.encrypt(payload.subarray(start, start + MAX_BLOCK)));
  }
  return Buffer.concat(parts);
}

// Reads exact byte counts, then whole encrypted frames, from a socket.
class Reader {
  constructor(socket) {
    this.buffered = Buffer.alloc(0);
    this.waiters = [];
    this.ended = false;
    socket.on('data', (data) => { this.buffered = Buffer.concat([this.buffered, data]); this.pump(); });
    socket.on('end', () => { this.ended = true; this.pump(); });
  }
  pump() {
    while (this.waiters.length > 0) {
      const { count, resolve, reject } = this.waiters[0];
      if (this.buffered.length >= count) {
        this.waiters.shift();
        const out = this.buffered.subarray(0, count);
        this.buffered = this.buffered.subarray(count);
        resolve(out);
      } else if (this.ended) {
        this.waiters.shift();
        reject(new Error('connection closed while waiting for ' + count + ' bytes'));
      } else {
        return;
      }
    }
  }
  read(count) { return new Promise((resolve, reject) => { this.waiters.push({ count, resolve, reject }); this.pump(); }); }
  async frame(cipher) {
    const header = cipher.decrypt(await this.read(ENCRYPTED_HEADER));
    const type = header[2];
    const length = header[3] | (header[4] << 8) | (header[5] << 16);
    const sealed = await this.read(ciphertextLength(length));
    const parts = [];
    for (let start = 0; start < sealed.length; start += MAX_BLOCK + MAC) {
      parts.push(cipher.decrypt(sealed.subarray(start, start + MAX_BLOCK + MAC)));
    }
    const payload = Buffer.concat(parts);
    if (payload.length !== length) {
      throw new Error('payload length ' + payload.length + ' != header length ' + length);
    }
    return { type, payload, wire: ENCRYPTED_HEADER + sealed.length };
  }
}

// Stand-in transport keys: both sides can compute them from the handshake bytes they saw.
function transportKeys(clientKey, serverAnswer) {
  const derive = (label) => crypto.createHash('sha256').update(label).update(clientKey).update(serverAnswer).digest();
  return { toServer: new CipherState(derive('pooldetector sv2-shape c2s')), toClient: new CipherState(derive('pooldetector sv2-shape s2c')) };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (who, text) => console.log(who + ': ' + text);

function send(socket, who, type, payload, cipher) {
  const frame = encodeFrame(cipher, type, payload);
  log(who, 'sends ' + NAMES[type] + ' (' + payload.length + '-byte payload, ' + frame.length + ' bytes on the wire)');
  socket.write(frame);
  return frame.length;
}

function expect(frame, who, type) {
  if (frame.type !== type) {
    throw new Error(who + ': expected ' + NAMES[type] + ', got message type 0x' + frame.type.toString(16));
  }
  log(who, 'received ' + NAMES[type] + ' (' + frame.payload.length + '-byte payload, ' + frame.wire + ' bytes on the wire)');
}

// ---- server ----
async function serveSv2(socket) {
  const who = 'server';
  const reader = new Reader(socket);
  const clientKey = await reader.read(CLIENT_HANDSHAKE);
  const answer = crypto.randomBytes(SERVER_HANDSHAKE);
  log(who, 'act 1: ' + clientKey.length + ' bytes; sending act 2: ' + answer.length + ' bytes');
  socket.write(answer);
  const keys = transportKeys(clientKey, answer);

  expect(await reader.frame(keys.toServer), who, MSG.SetupConnection);
  send(socket, who, MSG.SetupConnectionSuccess, messages.setupConnectionSuccess(), keys.toClient);

  expect(await reader.frame(keys.toServer), who, MSG.OpenStandardMiningChannel);
  send(socket, who, MSG.OpenStandardMiningChannelSuccess, messages.openStandardMiningChannelSuccess(), keys.toClient);
  await pause(20);
  // A future job and the prevhash that activates it, written together as pools do.
  const job = encodeFrame(keys.toClient, MSG.NewMiningJob, messages.newMiningJob());
  const prevHash = encodeFrame(keys.toClient, MSG.SetNewPrevHash, messages.setNewPrevHash());
  log(who, 'sends NewMiningJob (' + job.length + ' bytes) + SetNewPrevHash (' + prevHash.length + ' bytes) in one write');
  socket.write(Buffer.concat([job, prevHash]));

  for (let sequence = 1; sequence <= 2; sequence++) {
    expect(await reader.frame(keys.toServer), who, MSG.SubmitSharesStandard);
    send(socket, who, MSG.SubmitSharesSuccess, messages.submitSharesSuccess(sequence), keys.toClient);
  }
}

async function serveNegative(socket) {
  const who = 'server(negative)';
  const reader = new Reader(socket);
  const opening = await reader.read(64);
  log(who, 'read ' + opening.length + ' bytes; answering 100');
  socket.write(crypto.randomBytes(100));
  await reader.read(40);
  log(who, 'read 40 bytes; answering 40');
  socket.write(crypto.randomBytes(40));
}

function runServer() {
  let served = 0;
  const servers = [];
  const listen = (port, handler, name) => new Promise((resolve) => {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('close', () => {
        log('server', name + ' connection closed');
        if (++served === 2) {
          servers.forEach((s) => s.close());
        }
      });
      handler(socket).catch((error) => {
        console.error('server: ' + name + ': ' + error.message);
        process.exitCode = 1;
        socket.destroy();
      });
    });
    servers.push(server);
    server.listen(port, host, resolve);
  });
  Promise.all([listen(sv2Port, serveSv2, 'sv2'), listen(negativePort, serveNegative, 'negative')])
    .then(() => log('server', 'listening on ' + host + ':' + sv2Port + ' (sv2 shape) and :' + negativePort + ' (negative)'));
}

// ---- client ----
function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

function close(socket) {
  return new Promise((resolve) => { socket.once('close', resolve); socket.end(); });
}

async function clientSv2() {
  const who = 'client';
  const socket = await connect(sv2Port);
  log(who, 'connected to ' + host + ':' + sv2Port + ' from port ' + socket.localPort);
  const reader = new Reader(socket);
  const key = crypto.randomBytes(CLIENT_HANDSHAKE);
  log(who, 'sending act 1: ' + key.length + ' bytes');
  socket.write(key);
  const answer = await reader.read(SERVER_HANDSHAKE);
  log(who, 'act 2: ' + answer.length + ' bytes');
  const keys = transportKeys(key, answer);

  send(socket, who, MSG.SetupConnection, messages.setupConnection(), keys.toServer);
  expect(await reader.frame(keys.toClient), who, MSG.SetupConnectionSuccess);

  send(socket, who, MSG.OpenStandardMiningChannel, messages.openStandardMiningChannel(), keys.toServer);
  expect(await reader.frame(keys.toClient), who, MSG.OpenStandardMiningChannelSuccess);
  expect(await reader.frame(keys.toClient), who, MSG.NewMiningJob);
  expect(await reader.frame(keys.toClient), who, MSG.SetNewPrevHash);

  for (let sequence = 1; sequence <= 2; sequence++) {
    await pause(200);   // "hashing"
    send(socket, who, MSG.SubmitSharesStandard, messages.submitSharesStandard(sequence), keys.toServer);
    expect(await reader.frame(keys.toClient), who, MSG.SubmitSharesSuccess);
  }
  await close(socket);
  log(who, 'closed');
}

async function clientNegative() {
  const who = 'client(negative)';
  const socket = await connect(negativePort);
  log(who, 'connected to ' + host + ':' + negativePort + ' from port ' + socket.localPort);
  const reader = new Reader(socket);
  socket.write(crypto.randomBytes(64));
  await reader.read(100);
  socket.write(crypto.randomBytes(40));
  await reader.read(40);
  await close(socket);
  log(who, 'closed');
}

if (mode === 'server') {
  runServer();
} else if (mode === 'client') {
  clientSv2()
    .then(() => pause(200))
    .then(clientNegative)
    .catch((error) => { console.error('client: ' + error.message); process.exit(1); });
} else {
  console.error('usage: node sv2-shape.js server|client HOST SV2_PORT NEGATIVE_PORT');
  process.exit(2);
}
