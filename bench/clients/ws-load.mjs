/**
 * Load generator of bench/ws.mjs: WebSocket echo on raw `net` sockets, the
 * same client for every server. Opens --connections connections with an
 * HTTP/1.1 Upgrade handshake (checking the 101 and Sec-WebSocket-Accept),
 * then each writes --batch masked messages of --size bytes in one write and
 * sends the next batch as soon as all of their echoes arrived, so every
 * connection keeps --batch messages in flight. Counts echoed messages for
 * --duration seconds, then prints one line `RESULT {json}` with
 * messagesPerSec and megabytesPerSec (payload bytes echoed, one way, 10^6
 * bytes), the bench lib's convention for Node load generators.
 *
 *   node bench/clients/ws-load.mjs --port P [--duration 10] [--connections 50]
 *     [--size 32] [--batch 64] [--type text|binary]
 *
 * It is built to cost less than the server it measures: the masked frames
 * of a batch are built once and written as one Buffer every time, reads go
 * into one reused buffer, and echoes are counted by parsing only frame
 * headers (server frames are unmasked, so payloads are skipped, never
 * touched). It does not use the `ws` library, which is one of the servers
 * under test and would make the client as expensive as that server.
 *
 * A wrong server fails the run instead of producing a number: the first
 * batch of every connection is compared byte for byte (payloads, in order),
 * and every later echo must be a message of the sent type and size (in one
 * frame or several), with no reserved bits set and no control frames.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { measureWindow } from '../lib/window.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    size: { type: 'string', default: '32' },
    batch: { type: 'string', default: '64' },
    type: { type: 'string', default: 'text' },
  },
});
const port = Number(values.port);
const durationMs = Number(values.duration) * 1000;
const connections = Number(values.connections);
const size = Number(values.size);
const batchSize = Number(values.batch);
const type = values.type;
if (
  !(port > 0) ||
  !(durationMs > 0) ||
  !Number.isInteger(connections) ||
  connections < 1 ||
  !Number.isInteger(size) ||
  size < 1 ||
  !Number.isInteger(batchSize) ||
  batchSize < 1 ||
  (type !== 'text' && type !== 'binary')
) {
  console.error('usage: ws-load.mjs --port P [--duration S] [--connections C] [--size BYTES] [--batch B] [--type text|binary]');
  process.exit(2);
}

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key for Sec-WebSocket-Accept. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const CONTROL_NAMES = { 0x8: 'close', 0x9: 'ping', 0xa: 'pong' };
/** Largest response head accepted from the handshake, in bytes. */
const MAX_HANDSHAKE_BYTES = 8 * 1024;
/** Time allowed for opening every connection, handshakes included, in milliseconds. */
const OPEN_TIMEOUT_MS = 5_000;

const OPCODE = type === 'text' ? OP_TEXT : OP_BINARY;

/**
 * Payload of message `i` of a batch: text is ASCII letters led by the
 * message's index (so a reordering or a mix-up shows); binary is
 * pseudo-random bytes, different for every message.
 */
function payload(i) {
  const p = Buffer.alloc(size);
  if (type === 'text') {
    for (let j = 0; j < size; j++) p[j] = 0x61 + ((i + j) % 26);
    const index = Buffer.from(`${i} `, 'latin1');
    index.copy(p, 0, 0, Math.min(index.length, size));
  } else {
    let x = (i + 1) * 2654435761;
    for (let j = 0; j < size; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      p[j] = x & 0xff;
    }
  }
  return p;
}

/** A client frame (RFC 6455 §5.2): FIN, the opcode, the length, a random nonzero mask, the masked payload. */
function maskedFrame(opcode, data) {
  const len = data.length;
  const extra = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + extra + 4 + len);
  frame[0] = 0x80 | opcode;
  if (extra === 0) {
    frame[1] = 0x80 | len;
  } else if (extra === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  const maskAt = 2 + extra;
  let mask;
  do mask = randomBytes(4);
  while (mask.readUInt32BE(0) === 0);
  mask.copy(frame, maskAt);
  for (let j = 0; j < len; j++) frame[maskAt + 4 + j] = data[j] ^ mask[j & 3];
  return frame;
}

const payloads = Array.from({ length: batchSize }, (_, i) => payload(i));
const BATCH = Buffer.concat(payloads.map((p) => maskedFrame(OPCODE, p)));
/** What the first batch's echoes must carry, in order. */
const EXPECTED_PAYLOAD = Buffer.concat(payloads);

let counting = false;
let running = true;
let countedMessages = 0;
const sockets = [];

function die(message) {
  console.error(`ws-load: ${message}`);
  process.exit(1);
}

/**
 * Why the head of the handshake response (status line and header lines, no
 * final blank line) is not an acceptance of `accept`'s key, or null if it is.
 */
function handshakeProblem(head, accept) {
  const [status, ...lines] = head.split('\r\n');
  const headers = new Map();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if (!/^HTTP\/1\.1 101\b/.test(status)) return `expected 101, got ${JSON.stringify(status)}`;
  if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return `Upgrade is ${JSON.stringify(headers.get('upgrade'))}`;
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(headers.get('connection') ?? '')) {
    return `Connection is ${JSON.stringify(headers.get('connection'))}`;
  }
  if (headers.get('sec-websocket-accept') !== accept) {
    return `Sec-WebSocket-Accept is ${JSON.stringify(headers.get('sec-websocket-accept'))}, expected ${accept}`;
  }
  if (headers.has('sec-websocket-extensions')) {
    return `extensions agreed though none were offered: ${headers.get('sec-websocket-extensions')}`;
  }
  return null;
}

/**
 * Every socket reads into this one buffer (net's `onread`): no Buffer is
 * allocated and no stream machinery runs per read, which against a server
 * that writes every echo separately (ws does) is most of the client's cost.
 * Sharing it is safe because each read is consumed synchronously by its
 * callback; the little that outlives a callback (a split header, the first
 * batch's payload under verification) is copied. 256 KiB: a 64 KiB echo
 * usually arrives in one read.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/**
 * Opens one connection and resolves, after the handshake, with its start
 * function. Reads then go to `onFrames`, a frame-header parser: it reads a
 * header (2, 4 or 10 bytes, never masked from a server), then skips that
 * many payload bytes, which may span reads. While the first batch is
 * verified, the skipped payload is also collected and compared at the end.
 */
function open() {
  return new Promise((resolve, reject) => {
    let onBytes; // (buf, end): the handshake's reader, then onFrames
    const socket = connect({
      port,
      host: values.host,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n, buf) => void onBytes(buf, n) },
    });
    let remaining = 0; // payload bytes of the current frame still to skip
    let frameLength = 0;
    let fin = false;
    let inMessage = false; // a fragmented message started and its FIN frame hasn't come
    let messageBytes = 0;
    let outstanding = 0; // echoes of the current batch still to come
    let partial = null; // a header split across reads (copied)
    let verifying = []; // payload pieces of the first batch (copied); null once verified

    const send = () => {
      outstanding = batchSize;
      socket.write(BATCH);
    };

    // Returns the header's size, or 0 when buf[at, end) doesn't hold all of it.
    const readHeader = (buf, at, end) => {
      if (end - at < 2) return 0;
      const b0 = buf[at];
      const b1 = buf[at + 1];
      if (b1 & 0x80) die('the server masked a frame');
      let length = b1 & 0x7f;
      let headerSize = 2;
      if (length === 126) {
        if (end - at < 4) return 0;
        length = buf.readUInt16BE(at + 2);
        headerSize = 4;
      } else if (length === 127) {
        if (end - at < 10) return 0;
        if (buf.readUInt32BE(at + 2) !== 0) die('a frame longer than 4 GiB');
        length = buf.readUInt32BE(at + 6);
        headerSize = 10;
      }
      if (b0 & 0x70) die(`reserved bits set in a frame (0x${b0.toString(16)}): an extension nobody agreed to`);
      const opcode = b0 & 0x0f;
      if (opcode >= 0x8) die(`the server sent a ${CONTROL_NAMES[opcode] ?? `0x${opcode.toString(16)}`} frame during the run`);
      const expected = inMessage ? OP_CONTINUATION : OPCODE;
      if (opcode !== expected) die(`expected a frame with opcode ${expected}, got ${opcode}`);
      fin = (b0 & 0x80) !== 0;
      inMessage = !fin;
      remaining = frameLength = length;
      return headerSize;
    };

    // A frame's payload has been skipped; returns true when it completed the batch.
    const frameDone = () => {
      messageBytes += frameLength;
      if (!fin) return false;
      if (messageBytes !== size) die(`an echo of ${messageBytes} bytes, expected ${size}`);
      messageBytes = 0;
      if (outstanding === 0) die('more echoes than messages sent');
      if (counting) countedMessages++;
      return --outstanding === 0;
    };

    const onFrames = (buf, end) => {
      if (partial !== null) {
        buf = Buffer.concat([partial, buf.subarray(0, end)]);
        end = buf.length;
        partial = null;
      }
      let at = 0;
      let batchDone = false;
      while (at < end) {
        if (remaining === 0) {
          const headerSize = readHeader(buf, at, end);
          if (headerSize === 0) {
            partial = Buffer.from(buf.subarray(at, end));
            break;
          }
          at += headerSize;
          if (remaining === 0 && frameDone()) batchDone = true;
          continue;
        }
        const take = Math.min(remaining, end - at);
        if (verifying !== null) verifying.push(Buffer.from(buf.subarray(at, at + take)));
        at += take;
        remaining -= take;
        if (remaining === 0 && frameDone()) batchDone = true;
      }
      if (!batchDone) return;
      if (verifying !== null) {
        const got = Buffer.concat(verifying);
        if (!got.equals(EXPECTED_PAYLOAD)) {
          let i = 0;
          while (i < got.length && got[i] === EXPECTED_PAYLOAD[i]) i++;
          die(`the first batch's echoes differ from what was sent at payload byte ${i} of ${EXPECTED_PAYLOAD.length}`);
        }
        verifying = null;
      }
      if (running) send();
    };

    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    let head = Buffer.alloc(0);
    onBytes = (buf, end) => {
      head = Buffer.concat([head, buf.subarray(0, end)]);
      const headEnd = head.indexOf('\r\n\r\n');
      if (headEnd === -1) {
        if (head.length > MAX_HANDSHAKE_BYTES) reject(new Error('handshake response head too long'));
        return;
      }
      const problem = handshakeProblem(head.subarray(0, headEnd).toString('latin1'), accept);
      if (problem !== null) {
        reject(new Error(`bad handshake response: ${problem}`));
        return;
      }
      // Nothing was sent yet, so any frame after the head fails the run.
      onBytes = onFrames;
      const rest = head.subarray(headEnd + 4);
      if (rest.length > 0) onFrames(rest, rest.length);
      sockets.push(socket);
      resolve(send);
    };
    socket.once('connect', () => {
      socket.write(
        'GET / HTTP/1.1\r\n' +
          `Host: ${values.host}:${port}\r\n` +
          'Upgrade: websocket\r\n' +
          'Connection: Upgrade\r\n' +
          `Sec-WebSocket-Key: ${key}\r\n` +
          'Sec-WebSocket-Version: 13\r\n' +
          '\r\n',
      );
    });
    socket.on('error', (error) => (running ? reject(error) : undefined));
    socket.on('close', () => {
      if (running) die('the server closed a connection during the run');
    });
  });
}

const openTimer = setTimeout(
  () => die(`the WebSockets to ${values.host}:${port} were not all open within ${OPEN_TIMEOUT_MS} ms (not a WebSocket server?)`),
  OPEN_TIMEOUT_MS,
);
let starters;
try {
  starters = await Promise.all(Array.from({ length: connections }, open));
} catch (error) {
  die(`cannot open a WebSocket to ${values.host}:${port}: ${error.message}`);
}
clearTimeout(openTimer);
// Hard stop in case the event loop is starved or a server stops answering.
// With the open timeout, the client ends within its duration + 10 s, before
// the bench lib's load kill (duration + 15 s), so its own message is the one shown.
setTimeout(() => die('did not finish in time'), durationMs + 5_000).unref();
for (const start of starters) start();
counting = true;
const { seconds, clientCpu } = await measureWindow(durationMs);
counting = false;
running = false;
for (const socket of sockets) socket.destroy();

if (countedMessages === 0) die('no echoes received');
const result = {
  messagesPerSec: countedMessages / seconds,
  megabytesPerSec: (countedMessages * size) / seconds / 1e6,
  messages: countedMessages,
  seconds,
  connections,
  size,
  batch: batchSize,
  type,
  clientCpu,
};
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(0);
