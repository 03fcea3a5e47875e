/**
 * bench/soak.mjs, idle connections and slot holders: opens --connections
 * keep-alive connections, --concurrency at a time; each sends one small GET,
 * reads its response and then stays open, idle. With --busy each GETs
 * /hold instead, a response that never ends: it is set up once the response
 * head arrives, and keeps reading (a connection busy with a request). Prints
 * `READY {"open", "failed"}` once all are set up, holds them until SIGTERM
 * (or --hold-max seconds), then closes them and prints
 * `RESULT {"open", "failed", "closedByServer"}`: connections the server
 * closed while they were held.
 *
 *   node bench/clients/soak-hold.mjs --port P [--connections 10000] [--concurrency 100] [--hold-max 300] [--busy]
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { responseParser } from './soak-responses.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    connections: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '100' },
    'hold-max': { type: 'string', default: '300' },
    busy: { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
const total = Number(values.connections);
const concurrency = Number(values.concurrency);
/** A connection that gets no response within this long counts as failed (ms). */
const SETUP_TIMEOUT_MS = 10_000;
const busy = values.busy;
const REQUEST = Buffer.from(`GET ${busy ? '/hold' : '/'} HTTP/1.1\r\nHost: soak\r\n\r\n`);

const held = new Set();
let failed = 0;
let closedByServer = 0;
let releasing = false;

/** Resolves true once the connection is open and answered, false if it failed. */
function openOne() {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => socket.destroy(), SETUP_TIMEOUT_MS);
    let answered = false;
    const setUp = (ok) => {
      if (answered || !ok) return socket.destroy();
      answered = true;
      clearTimeout(timer);
      held.add(socket);
      resolve(true);
    };
    const parser = responseParser((response) => setUp(response.status === 200));
    socket.on('connect', () => socket.write(REQUEST));
    socket.on('data', (chunk) => {
      if (!busy) parser.feed(chunk);
      else if (!answered) setUp(chunk.toString('latin1', 0, 12) === 'HTTP/1.1 200');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      if (!answered) return resolve(false);
      held.delete(socket);
      if (!releasing) closedByServer++;
    });
  });
}

let next = 0;
async function worker() {
  while (next < total) {
    next++;
    if (!(await openOne())) failed++;
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
console.log('READY ' + JSON.stringify({ open: held.size, failed }));

const release = () => {
  releasing = true;
  const open = held.size;
  for (const socket of held) socket.destroy();
  console.log('RESULT ' + JSON.stringify({ open, failed, closedByServer }));
  process.exit(0);
};
process.on('SIGTERM', release);
setTimeout(release, Number(values['hold-max']) * 1000);
