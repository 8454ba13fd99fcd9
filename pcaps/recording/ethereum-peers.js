'use strict';
// Two Ethereum nodes on loopback, played by the npm package `@ethereumjs/devp2p` (MIT):
// node A (UDP and TCP PORT_A) and node B (UDP and TCP PORT_B), neither on 30303.
// Usage: node ethereum-peers.js HOST PORT_A PORT_B
//   1. discv4: A bootstraps from B (DPT.bootstrap): A pings B, B pongs; B, having heard of A,
//      pings A back (the bond), A pongs; A asks B for neighbours (findneighbours / neighbours).
//   2. RLPx: A dials B's TCP port; EIP-8 auth from A, ack from B, then both send the
//      encrypted devp2p HELLO; with the eth capability A and B exchange eth STATUS.
//   3. A disconnects (CLIENT_QUITTING) and both nodes shut down; the script exits.
// Prints "done" when the exchange completed; exits 1 after 8 s if it did not.
const { DPT, ETH, RLPx } = require('@ethereumjs/devp2p');
const { Common, Mainnet } = require('@ethereumjs/common');
const { bytesToHex, hexToBytes, intToBytes } = require('@ethereumjs/util');

const host = process.argv[2] || '127.0.0.1';
const portA = Number(process.argv[3] || 30311);
const portB = Number(process.argv[4] || 30312);

// Fixed node keys, so the node ids are the same in every recording (made up for this script).
const keyA = hexToBytes('0x8f7f9c2a4e7d5b3c1a09f8e7d6c5b4a39281706f5e4d3c2b1a0918273645546a');
const keyB = hexToBytes('0x3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29');

const common = new Common({ chain: Mainnet });
const log = (text) => console.log(`${new Date().toISOString()} ${text}`);

function node(name, key, port) {
  const dpt = new DPT(key, {
    endpoint: { address: host, udpPort: port, tcpPort: port },
    refreshInterval: 600000,       // no periodic refresh within the recording
    shouldFindNeighbours: true,
    shouldGetDnsPeers: false,
    timeout: 2000,
  });
  dpt.events.on('error', (err) => log(`${name} dpt error: ${err.message ?? err}`));
  dpt.bind(port, host);
  const rlpx = new RLPx(key, {
    maxPeers: 5,
    capabilities: [ETH.eth68],
    common,
    listenPort: port,
  });
  rlpx.events.on('error', (err) => log(`${name} rlpx error: ${err.message ?? err}`));
  rlpx.events.on('peer:error', (_peer, err) => log(`${name} peer error: ${err.message ?? err}`));
  rlpx.listen(port, host);
  return { name, dpt, rlpx };
}

const a = node('A', keyA, portA);
const b = node('B', keyB, portB);
log(`A id ${bytesToHex(a.dpt.id).slice(0, 18)}... udp/tcp ${portA}; B id ${bytesToHex(b.dpt.id).slice(0, 18)}... udp/tcp ${portB}`);

const timer = setTimeout(() => {
  log('timed out');
  process.exit(1);
}, 8000);

function status(eth) {
  // Mainnet genesis as total difficulty, best hash and genesis hash; the fork id is computed by
  // the package from `common`.
  const genesis = hexToBytes('0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3');
  eth.sendStatus({ td: intToBytes(17179869184), bestHash: genesis, genesisHash: genesis });
}

let statuses = 0;
for (const n of [a, b]) {
  n.rlpx.events.on('peer:added', (peer) => {
    log(`${n.name}: RLPx handshake and HELLO done`);
    const eth = peer.getProtocols()[0];
    eth.events.once('status', () => {
      log(`${n.name}: eth STATUS received`);
      if (++statuses === 2) {
        setTimeout(() => a.rlpx.disconnect(b.rlpx.id), 200);
      }
    });
    status(eth);
  });
  n.rlpx.events.on('peer:removed', (_peer, reason) => {
    log(`${n.name}: peer removed (reason ${reason})`);
    if (n === b) {
      finish();
    }
  });
}

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  setTimeout(() => {
    for (const n of [a, b]) {
      n.rlpx.destroy();
      n.dpt.destroy();
    }
    clearTimeout(timer);
    log('done');
    setTimeout(() => process.exit(0), 100);
  }, 300);
}

async function main() {
  // discv4: ping/pong (both ways, B bonds back) and findneighbours/neighbours.
  await a.dpt.bootstrap({ address: host, udpPort: portB, tcpPort: portB });
  const peer = a.dpt.getPeer(b.dpt.id);
  log(`A: discv4 bonded with B: ${peer !== null}`);
  await new Promise((resolve) => setTimeout(resolve, 600));
  // RLPx: dial B's TCP port.
  await a.rlpx.connect({ id: b.rlpx.id, address: host, tcpPort: portB });
}

main().catch((err) => {
  log(`failed: ${err.stack ?? err}`);
  process.exit(1);
});
