/**
 * bench/soak.mjs, slow floods: holds --slow-headers connections that send a
 * request head one header line every --interval ms and never finish it, and
 * --slow-bodies connections that send a Content-Length body one byte every
 * --interval ms. An attacker the server cuts (or refuses) connects again
 * after --reconnect-delay ms. Prints `READY {...}` once every first attempt
 * has connected or failed (or after 10 s), keeps attacking until SIGTERM (or
 * --max seconds), then prints `RESULT {"connects", "cut", "failed",
 * "openSamples"}`: how often the attackers connected, were cut after
 * connecting, failed to connect, and how many were open at each second.
 *
 *   node bench/clients/soak-flood.mjs --port P [--slow-headers 2000] [--slow-bodies 2000]
 *     [--interval 2000] [--reconnect-delay 250] [--max 120]
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'slow-headers': { type: 'string', default: '2000' },
    'slow-bodies': { type: 'string', default: '2000' },
    interval: { type: 'string', default: '2000' },
    'reconnect-delay': { type: 'string', default: '250' },
    max: { type: 'string', default: '120' },
  },
});
const port = Number(values.port);
const interval = Number(values.interval);
const reconnectDelay = Number(values['reconnect-delay']);
/** Longest wait for the first attempts before READY (ms). */
const RAMP_MAX_MS = 10_000;

const SLOW_HEADER = { start: 'GET / HTTP/1.1\r\nHost: soak\r\n', next: (i) => `X-Slow-${i}: 1\r\n` };
const SLOW_BODY = {
  start: 'POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n',
  next: () => 'x',
};

const stats = { connects: 0, cut: 0, failed: 0, openSamples: [] };
let open = 0;
let stopping = false;
const sockets = new Set();
let firstAttempts = 0;
let onFirstAttempt = null;

function attack(kind, first) {
  const socket = connect({ port, host: '127.0.0.1' });
  sockets.add(socket);
  let timer = null;
  let connected = false;
  let lines = 0;
  const settledFirst = () => {
    if (!first) return;
    first = false;
    firstAttempts++;
    onFirstAttempt?.();
  };
  socket.on('connect', () => {
    connected = true;
    open++;
    stats.connects++;
    settledFirst();
    socket.write(kind.start);
    timer = setInterval(() => socket.write(kind.next(lines++)), interval);
  });
  socket.on('data', () => {}); // a 408 or 431, then the server closes
  socket.on('error', () => {});
  socket.on('close', () => {
    sockets.delete(socket);
    clearInterval(timer);
    settledFirst();
    if (connected) {
      open--;
      stats.cut++;
    } else stats.failed++;
    if (!stopping) setTimeout(() => attack(kind, false), reconnectDelay);
  });
}

const headers = Number(values['slow-headers']);
const bodies = Number(values['slow-bodies']);
for (let i = 0; i < headers; i++) attack(SLOW_HEADER, true);
for (let i = 0; i < bodies; i++) attack(SLOW_BODY, true);
await new Promise((resolve) => {
  const timer = setTimeout(resolve, RAMP_MAX_MS);
  onFirstAttempt = () => {
    if (firstAttempts === headers + bodies) {
      clearTimeout(timer);
      resolve();
    }
  };
});
console.log('READY ' + JSON.stringify({ open, firstAttempts }));
const sampler = setInterval(() => stats.openSamples.push(open), 1000);

const stop = () => {
  stopping = true;
  clearInterval(sampler);
  for (const socket of sockets) socket.destroy();
  console.log('RESULT ' + JSON.stringify(stats));
  process.exit(0);
};
process.on('SIGTERM', stop);
setTimeout(stop, Number(values.max) * 1000);
