'use strict';
// Stratum V1 pool side, played by the npm package `stratum` (pocesar/node-stratum).
// Usage: node stratum-server.js HOST PORT
// Answers subscribe/authorize/submit through the package's own command functions,
// pushes mining.set_difficulty + mining.notify after authorize, a second job after the
// first accepted share, and exits when the miner disconnects.
const stratum = require('stratum');

const host = process.argv[2] || '127.0.0.1';
const port = Number(process.argv[3] || 47333);

// Jobs taken from the package's own example (examples/server.js, SHA256 job),
// params: job_id, prevhash, coinb1, coinb2, merkle_branch, version, nbits, ntime, clean_jobs
const jobs = [
  ['bf', '00000000d48a84c146910cfff0c9fd37052ec4c220e083a37ec9a09964e77d2d',
    '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008',
    '072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000',
    ['61e90d4998b4a30d5a939e7e8b9a77d0b6abae6d30e827d00a45b57052cc6812'],
    '00000002', 'ffff001d', 'e8dc3c50', true],
  ['c0', '00000000d48a84c146910cfff0c9fd37052ec4c220e083a37ec9a09964e77d2d',
    '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008',
    '072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000',
    ['61e90d4998b4a30d5a939e7e8b9a77d0b6abae6d30e827d00a45b57052cc6812'],
    '00000002', 'ffff001d', 'e8dc3c6c', false],
];

const server = stratum.Server.$create({ settings: { host, port, hostname: host } });
let submits = 0;

server.on('mining', (req, deferred, socket) => {
  switch (req.method) {
    case 'subscribe':
      // [subscription detail for set_difficulty, subscription id for notify, extranonce1, extranonce2_size]
      deferred.resolve(['b4b6693b72a50c7116db18d6497cac52', 'ae6812eb4cd7735a302a8a9dd95cf71f', '08000002', 4]);
      break;
    case 'authorize':
      deferred.resolve([true]);
      deferred.promise.then(() => socket.set_difficulty([16]))
        .then(() => socket.notify(jobs[0]));
      break;
    case 'submit':
      submits++;
      deferred.resolve([true]);
      if (submits === 1) {
        deferred.promise.then(() => socket.notify(jobs[1]));
      }
      break;
    default:
      deferred.reject(stratum.Server.errors.METHOD_NOT_FOUND);
  }
});

server.on('mining.error', (error) => console.error('server: mining.error', String(error)));

server.on('close', () => {
  console.log('server: miner disconnected after ' + submits + ' shares');
  server.close();
  setTimeout(() => process.exit(submits === 2 ? 0 : 1), 200);
});

server.listen().then(() => console.log('server: listening on ' + host + ':' + port));
