'use strict';
// Stratum V1 miner side, played by the npm package `stratum-client` (arnabk/stratum-client).
// Usage: node stratum-miner.js HOST PORT
// The package sends mining.subscribe on connect and mining.authorize after the subscribe
// reply; this script submits one share per mining.notify and disconnects after two
// accepted shares. Nonces are fixed so every recording carries the same payload.
const stratumClient = require('stratum-client');

const host = process.argv[2] || '127.0.0.1';
const port = Number(process.argv[3] || 47333);
const worker = 'pooldetector.rig1';
const nonces = ['b2957c02', '2c5f1a9e'];
let accepted = 0;
let jobsSeen = 0;

const miner = stratumClient({
  server: host,
  port,
  worker,
  password: 'x',
  autoReconnectOnError: false,
  // The local port is printed for the end-to-end test, which finds this flow by it.
  onConnect: () => console.log('miner: connected to ' + host + ':' + port + ' from port ' + miner.client.localPort),
  onError: (error) => { console.error('miner: error', error.message); process.exit(1); },
  onAuthorizeSuccess: () => console.log('miner: authorized'),
  onAuthorizeFail: () => { console.error('miner: authorize failed'); process.exit(1); },
  onNewDifficulty: (diff) => console.log('miner: difficulty', diff),
  onNewMiningWork: (work) => {
    const nonce = nonces[jobsSeen++ % nonces.length];
    console.log('miner: job ' + work.jobId + ', submitting nonce ' + nonce);
    miner.submit({
      worker_name: worker,
      job_id: work.jobId,
      extranonce2: '00000001',
      ntime: work.ntime,
      nonce,
    });
  },
  onSubmitWorkSuccess: () => {
    accepted++;
    console.log('miner: share accepted (' + accepted + ')');
    if (accepted === 2) {
      setTimeout(() => { miner.shutdown(); process.exit(0); }, 100);
    }
  },
  onSubmitWorkFail: (error) => { console.error('miner: share rejected', error); process.exit(1); },
});
