/**
 * bench/soak.mjs, peak RSS: streams --size bytes through POST /echo on one
 * connection, framed with Content-Length or chunked (--framing), writing with
 * backpressure while it reads the echo back; the echo must be as long as the
 * upload. Prints `RESULT {"seconds", "bytes"}`.
 *
 *   node bench/clients/soak-echo.mjs --port P [--size 1073741824] [--framing length|chunked]
 */
import { connect } from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { responseParser } from './soak-responses.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    size: { type: 'string', default: String(1024 * 1024 * 1024) },
    framing: { type: 'string', default: 'length' },
  },
});
const port = Number(values.port);
const size = Number(values.size);
const chunked = values.framing === 'chunked';
const BLOCK = Buffer.alloc(1024 * 1024, 'soak echo ');
const CHUNK_HEAD = Buffer.from(`${BLOCK.length.toString(16)}\r\n`);
const CRLF = Buffer.from('\r\n');

const socket = connect({ port, host: '127.0.0.1', noDelay: true });
await once(socket, 'connect');
const echoed = new Promise((resolve, reject) => {
  const parser = responseParser(resolve);
  socket.on('data', (chunk) => {
    try {
      parser.feed(chunk);
    } catch (error) {
      reject(error);
    }
  });
  socket.on('error', reject);
  socket.on('close', () => reject(new Error('connection closed before the echo ended')));
});
echoed.catch(() => {}); // awaited below; a failure mid-upload must not go unhandled

const write = async (buf) => {
  if (!socket.write(buf)) await Promise.race([once(socket, 'drain'), echoed]);
};

const started = performance.now();
await write(
  `POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Type: application/octet-stream\r\n` +
    (chunked ? 'Transfer-Encoding: chunked\r\n\r\n' : `Content-Length: ${size}\r\n\r\n`),
);
for (let sent = 0; sent < size; sent += BLOCK.length) {
  const block = size - sent >= BLOCK.length ? BLOCK : BLOCK.subarray(0, size - sent);
  if (chunked) {
    await write(block === BLOCK ? CHUNK_HEAD : `${block.length.toString(16)}\r\n`);
    await write(block);
    await write(CRLF);
  } else {
    await write(block);
  }
}
if (chunked) await write('0\r\n\r\n');
const response = await echoed;
const seconds = (performance.now() - started) / 1000;
socket.destroy();
if (response.status !== 200 || response.bodyBytes !== size) {
  console.error(`bad echo: status ${response.status}, ${response.bodyBytes} of ${size} bytes`);
  process.exit(1);
}
console.log('RESULT ' + JSON.stringify({ seconds, bytes: size }));
