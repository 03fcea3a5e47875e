/**
 * Load generator of bench/multipart.mjs: uploads multipart/form-data bodies
 * (one small field and one file of --size bytes, random content made once
 * and repeated) on one keep-alive connection, one after the other, for
 * --duration seconds (or exactly one with --once), writing with
 * backpressure. Every answer must count the bytes sent, else the run fails.
 * Then asks GET /stats for the server's peak RSS and prints
 * `RESULT {"mbPerSec", "uploads", "peakRssMB", ...}`.
 *
 *   node bench/clients/multipart-load.mjs --port P [--duration 10] [--size 67108864] [--once]
 */
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    duration: { type: 'string', default: '10' },
    size: { type: 'string', default: String(64 * 1024 * 1024) },
    once: { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
const size = Number(values.size);
const durationMs = Number(values.duration) * 1000;
if (!(port > 0) || !(size > 0)) {
  console.error('usage: multipart-load.mjs --port P [--duration S] [--size BYTES] [--once]');
  process.exit(2);
}

const BLOCK = randomBytes(1024 * 1024);
const boundary = '----weftbench' + randomBytes(8).toString('hex');
const FIELD = 'benchmark';
const head = Buffer.from(
  `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n${FIELD}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
);
const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
const bodyLength = head.length + size + tail.length;
const expected = FIELD.length + size;

const socket = connect({ port, host: '127.0.0.1', noDelay: true });
await once(socket, 'connect');
let inbox = '';
let waiting = null;
socket.setEncoding('latin1');
socket.on('data', (d) => {
  inbox += d;
  waiting?.();
});
socket.on('error', (err) => {
  console.error(err.message);
  process.exit(1);
});

/** The next whole response (Content-Length framed): its status and body. */
async function response() {
  for (;;) {
    const end = inbox.indexOf('\r\n\r\n');
    if (end >= 0) {
      const headText = inbox.slice(0, end);
      const length = Number(/content-length: *(\d+)/i.exec(headText)?.[1] ?? 0);
      if (inbox.length >= end + 4 + length) {
        const body = inbox.slice(end + 4, end + 4 + length);
        inbox = inbox.slice(end + 4 + length);
        return { status: Number(headText.slice(9, 12)), body };
      }
    }
    await new Promise((resolve) => (waiting = resolve));
    waiting = null;
  }
}

const write = async (buf) => {
  if (!socket.write(buf)) await once(socket, 'drain');
};

async function upload() {
  await write(Buffer.from(`POST /upload HTTP/1.1\r\nHost: bench\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${bodyLength}\r\n\r\n`));
  await write(head);
  for (let sent = 0; sent < size; sent += BLOCK.length) await write(size - sent >= BLOCK.length ? BLOCK : BLOCK.subarray(0, size - sent));
  await write(tail);
  const { status, body } = await response();
  const answer = status === 200 ? JSON.parse(body) : null;
  if (answer === null || answer.bytes !== expected || answer.parts !== 2) {
    console.error(`bad answer ${status} ${body}`);
    process.exit(1);
  }
}

const cpuStart = process.cpuUsage();
const started = performance.now();
let uploads = 0;
do {
  await upload();
  uploads++;
} while (!values.once && performance.now() - started < durationMs);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);

await write(Buffer.from('GET /stats HTTP/1.1\r\nHost: bench\r\n\r\n'));
const stats = JSON.parse((await response()).body);
socket.end();
console.log(
  'RESULT ' +
    JSON.stringify({
      mbPerSec: (uploads * bodyLength) / 1e6 / seconds,
      uploads,
      seconds,
      uploadBytes: bodyLength,
      peakRssMB: stats.peakRss / 1048576,
      clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    }),
);
