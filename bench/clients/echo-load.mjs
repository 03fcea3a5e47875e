/**
 * Load generator of bench/echo.mjs, for the message echo protocol ("msg\n"
 * in, "Echo: msg\n" out). Opens --connections connections; each writes
 * --batch pipelined messages in one write and sends the next batch as soon
 * as all replies of the previous one arrived, so every connection keeps
 * --batch messages in flight. Counts replies for --duration seconds, then
 * prints one line `RESULT {json}` with messagesPerSec (the bench lib's
 * convention for Node load generators).
 *
 *   node bench/clients/echo-load.mjs --port P [--duration 10] [--connections 50] [--batch 16]
 *
 * The first batch on every connection is checked byte for byte, and every
 * later batch by length, so a server that answers wrongly fails the run
 * instead of producing a number.
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { measureWindow } from '../lib/window.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    batch: { type: 'string', default: '16' },
  },
});
const port = Number(values.port);
const durationMs = Number(values.duration) * 1000;
const connections = Number(values.connections);
const batchSize = Number(values.batch);
if (!(port > 0) || !(durationMs > 0) || !(connections > 0) || !(batchSize > 0)) {
  console.error('usage: echo-load.mjs --port P [--duration S] [--connections C] [--batch B]');
  process.exit(2);
}

// Fixed-width messages, so every reply has the same length.
const messages = Array.from({ length: batchSize }, (_, i) => `hello world ${String(i).padStart(4, '0')}\n`);
const BATCH = Buffer.from(messages.join(''), 'latin1');
const EXPECTED = Buffer.from(messages.map((m) => `Echo: ${m}`).join(''), 'latin1');
const REPLY_BYTES = EXPECTED.length / batchSize;

let counting = false;
let running = true;
let countedBytes = 0;
const sockets = [];

function die(message) {
  console.error(`echo-load: ${message}`);
  process.exit(1);
}

/**
 * Opens one connection and resolves, once connected, with its start function.
 * Replies are counted by length, not by scanning for newlines: every reply
 * has the same size, so a batch is complete exactly when EXPECTED.length
 * bytes arrived, and anything more is a protocol error. That keeps the
 * client's work per batch small next to the server's.
 */
function open() {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: values.host, noDelay: true });
    let awaitedBytes = 0;
    let firstBatch = Buffer.alloc(0); // until verified; then null
    const send = () => {
      awaitedBytes = EXPECTED.length;
      socket.write(BATCH);
    };
    socket.on('data', (chunk) => {
      if (firstBatch !== null) {
        firstBatch = Buffer.concat([firstBatch, chunk]);
        const n = Math.min(firstBatch.length, EXPECTED.length);
        if (!firstBatch.subarray(0, n).equals(EXPECTED.subarray(0, n))) {
          die(`unexpected reply ${JSON.stringify(firstBatch.toString('latin1').slice(0, 200))}`);
        }
        if (firstBatch.length >= EXPECTED.length) firstBatch = null;
      }
      awaitedBytes -= chunk.length;
      if (counting) countedBytes += chunk.length;
      if (awaitedBytes === 0) {
        if (running) send();
      } else if (awaitedBytes < 0) {
        die(`${-awaitedBytes} bytes more than the replies to one batch`);
      }
    });
    socket.once('connect', () => {
      sockets.push(socket);
      resolve(send);
    });
    socket.on('error', (error) => (running ? reject(error) : undefined));
    socket.on('close', () => {
      if (running) die('the server closed a connection during the run');
    });
  });
}

// Hard stop in case the event loop is starved or a server stops answering.
setTimeout(() => die('did not finish in time'), durationMs + 10_000).unref();

let starters;
try {
  starters = await Promise.all(Array.from({ length: connections }, open));
} catch (error) {
  die(`cannot connect to ${values.host}:${port}: ${error.message}`);
}
for (const start of starters) start();
counting = true;
const { seconds, clientCpu } = await measureWindow(durationMs);
counting = false;
running = false;
for (const socket of sockets) socket.destroy();

// Whole replies only: a connection may stop mid-reply when the time is up.
const replies = Math.floor(countedBytes / REPLY_BYTES);
if (replies === 0) die('no replies received');
const result = {
  messagesPerSec: replies / seconds,
  messages: replies,
  seconds,
  connections,
  batch: batchSize,
  clientCpu,
};
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(0);
