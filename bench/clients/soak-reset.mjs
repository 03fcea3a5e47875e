/**
 * bench/soak.mjs, queue-and-reset: --count connections, --concurrency at a
 * time, each reset (RST, `socket.resetAndDestroy()`) as soon as it is
 * connected, the next one opened once it has closed. Against a full server
 * they reset while they wait in its queue. Prints `RESULT {"connected",
 * "failed", "seconds"}`.
 *
 *   node bench/clients/soak-reset.mjs --port P [--count 100000] [--concurrency 100]
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    count: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '100' },
  },
});
const port = Number(values.port);
const count = Number(values.count);
let started = 0;
let connected = 0;
let failed = 0;

/** Resolves true when the connection was made (and reset), false when it failed. */
function resetOne() {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let made = false;
    socket.on('connect', () => {
      made = true;
      socket.resetAndDestroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(made));
  });
}

const t0 = performance.now();
async function worker() {
  while (started < count) {
    started++;
    if (await resetOne()) connected++;
    else failed++;
  }
}
await Promise.all(Array.from({ length: Math.min(Number(values.concurrency), count) }, worker));
console.log('RESULT ' + JSON.stringify({ connected, failed, seconds: (performance.now() - t0) / 1000 }));
