/**
 * Load generator of bench/pubsub.mjs: fan-out through two servers on one
 * Redis, on raw `net` sockets, the same client for weft and for socket.io
 * (whose engine.io/socket.io packets it speaks: `0{...}` open, `40` connect,
 * `42[...]` events, `2`/`3` ping/pong).
 *
 * --subscribers connections alternate between the two servers and
 * subscribe; --publishers connections, half on each server, publish
 * --size-byte text messages. Each message carries its publisher, sequence
 * number and send time. Every subscriber counts what it gets by frame
 * headers only; one in WATCHER_EVERY also decodes payloads, to measure
 * publish-to-deliver latency and check order per publisher. Closed loop
 * (default): each publisher keeps --window messages in flight, a message
 * leaving flight when a watcher on the other server receives it, so the
 * publishers go as fast as the slowest path across Redis allows. Open loop
 * (--rate N): N messages a second in all, whatever happens.
 *
 * After --duration seconds publishing stops and every subscriber gets up to
 * DRAIN_MS to receive everything published; what is still missing then
 * counts as lost (as do subscribers the server closed). Server and Redis
 * CPU are read from /proc over the measured window for the pids given.
 * Prints `RESULT {json}` last, the bench lib's convention.
 *
 *   node bench/clients/pubsub-load.mjs --ports A,B --impl weft|socketio [--duration 10]
 *     [--subscribers 1000] [--publishers 10] [--window 4] [--size 64] [--rate 0]
 *     [--server-pids P,Q] [--redis-pid R]
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { treeCpuSeconds } from '../lib/procstat.mjs';

const { values } = parseArgs({
  options: {
    ports: { type: 'string' },
    port: { type: 'string' },
    impl: { type: 'string', default: 'weft' },
    duration: { type: 'string', default: '10' },
    subscribers: { type: 'string', default: '1000' },
    publishers: { type: 'string', default: '10' },
    window: { type: 'string', default: '4' },
    size: { type: 'string', default: '64' },
    rate: { type: 'string', default: '0' },
    'server-pids': { type: 'string', default: '' },
    'redis-pid': { type: 'string', default: '' },
  },
});
const ports = (values.ports ?? values.port ?? '').split(',').map(Number);
const impl = values.impl;
const durationMs = Number(values.duration) * 1000;
const subscriberCount = Number(values.subscribers);
const publisherCount = Number(values.publishers);
const windowSize = Number(values.window);
const size = Number(values.size);
const rate = Number(values.rate);
const serverPids = values['server-pids'] === '' ? [] : values['server-pids'].split(',').map(Number);
const redisPid = values['redis-pid'] === '' ? null : Number(values['redis-pid']);
if (ports.length !== 2 || ports.some((p) => !(p > 0)) || (impl !== 'weft' && impl !== 'socketio') || !(durationMs > 0) ||
    !(subscriberCount >= 2) || !(publisherCount >= 2) || !(windowSize >= 1) || !(size >= 32) || !(rate >= 0)) {
  console.error('usage: pubsub-load.mjs --ports A,B --impl weft|socketio [--duration S] [--subscribers N] [--publishers N] [--window N] [--size BYTES >= 32] [--rate N]');
  process.exit(2);
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Handshakes in flight at once while connecting (stays under the listen backlog). */
const CONNECT_CONCURRENCY = 50;
/** Time allowed to connect everyone (ms). */
const CONNECT_TIMEOUT_MS = 30_000;
/** Time allowed after the window for subscribers to receive everything published (ms). */
const DRAIN_MS = 5_000;
/** One subscriber in this many decodes its messages (latency, order). */
const WATCHER_EVERY = 20;
/** Latency histogram: 0.1 ms buckets up to 30 s. */
const BUCKET_MS = 0.1;
const histogram = new Uint32Array(300_000);

const fail = (message) => {
  console.error(`pubsub-load: ${message}`);
  process.exit(1);
};

// ---- frames ----

function maskedText(text) {
  const data = Buffer.from(text, 'utf8');
  const len = data.length;
  const extra = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + extra + 4 + len);
  frame[0] = 0x81;
  if (extra === 0) frame[1] = 0x80 | len;
  else if (extra === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  const at = 2 + extra;
  const mask = randomBytes(4);
  mask.copy(frame, at);
  for (let j = 0; j < len; j++) frame[at + 4 + j] = data[j] ^ mask[j & 3];
  return frame;
}

/** The text a publisher sends: weft publishes it as it is; socket.io wraps it in an event. */
const wire = (text) => (impl === 'weft' ? text : `42["m","${text}"]`);

// ---- connections ----

/**
 * One WebSocket connection: handshake, then `onText(conn, buf, start, end)`
 * for every text frame (server frames are unmasked, whole messages here).
 */
function open(port, path, onText) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    const conn = { socket, pending: null, upgraded: false, closed: false, closeCode: 0, received: 0, ready: null };
    conn.ready = new Promise((r) => (conn.markReady = r));
    socket.once('error', reject);
    socket.on('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.on('close', () => (conn.closed = true));
    socket.on('data', (chunk) => {
      let buf = conn.pending === null ? chunk : Buffer.concat([conn.pending, chunk]);
      conn.pending = null;
      let pos = 0;
      if (!conn.upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          conn.pending = buf;
          return;
        }
        const head = buf.toString('latin1', 0, end);
        if (!head.startsWith('HTTP/1.1 101') || !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
          reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
          socket.destroy();
          return;
        }
        conn.upgraded = true;
        socket.off('error', reject);
        socket.on('error', () => {});
        resolve(conn);
        pos = end + 4;
      }
      while (pos + 2 <= buf.length) {
        const b0 = buf[pos];
        let len = buf[pos + 1] & 0x7f;
        let at = pos + 2;
        if (len === 126) {
          if (at + 2 > buf.length) break;
          len = buf.readUInt16BE(at);
          at += 2;
        } else if (len === 127) {
          if (at + 8 > buf.length) break;
          len = Number(buf.readBigUInt64BE(at));
          at += 8;
        }
        if (at + len > buf.length) break;
        const op = b0 & 0x0f;
        if (op === 0x1) onText(conn, buf, at, at + len);
        else if (op === 0x8) conn.closeCode = len >= 2 ? buf.readUInt16BE(at) : 1005;
        else if (op !== 0x9 && op !== 0xa) fail(`unexpected frame, opcode ${op} (fragmented or binary message?)`);
        pos = at + len;
      }
      if (pos < buf.length) conn.pending = buf.subarray(pos);
    });
  });
}

const PING = 0x32; // engine.io "2"
const PONG_FRAME = maskedText('3');
const CONNECT_FRAME = maskedText('40');

/**
 * Handles what every connection gets before and besides the load: for
 * socket.io the open packet (answered with a namespace connect), pings
 * (answered with pongs) and the connect acknowledgement; the server's
 * "ready" (a text "ready" from weft, a "ready" event from socket.io) marks
 * the connection ready. Returns true for anything handled here.
 */
function housekeeping(conn, buf, start, end) {
  const n = end - start;
  if (impl === 'socketio') {
    const t = buf[start];
    if (t === PING && n === 1) {
      conn.socket.write(PONG_FRAME);
      return true;
    }
    if (t === 0x30) { // engine.io open: connect to the default namespace
      conn.socket.write(CONNECT_FRAME);
      return true;
    }
    if (t === 0x34 && buf[start + 1] === 0x30) { // "40{...}": namespace connected
      if (conn.role === 'pub') conn.markReady();
      return true;
    }
    if (n === 11 && buf.toString('latin1', start, end) === '42["ready"]') {
      conn.markReady();
      return true;
    }
    return false;
  }
  if (n === 5 && buf.toString('latin1', start, end) === 'ready') {
    conn.markReady();
    return true;
  }
  return false;
}

// ---- the run ----

let measuring = false;
let publishing = false;
let windowDelivered = 0;
let windowPublished = 0;
let totalPublished = 0;
let outOfOrder = 0;
let watcherDeliveries = 0;
const publishers = [];
const subscribers = [];

/** Decodes `p<id>:<seq>:<ms>` at the start of a payload (after `42["m","` for socket.io). */
function decode(buf, start) {
  let i = start + (impl === 'socketio' ? 8 : 0) + 1; // skip "p"
  let id = 0;
  for (let c = buf[i++]; c !== 0x3a; c = buf[i++]) id = id * 10 + (c - 0x30);
  let seq = 0;
  for (let c = buf[i++]; c !== 0x3a; c = buf[i++]) seq = seq * 10 + (c - 0x30);
  let j = i;
  while (buf[j] !== 0x7c) j++; // "|"
  return { id, seq, sentAt: Number(buf.toString('latin1', i, j)) };
}

const onSubscriberText = (conn, buf, start, end) => {
  if (!publishing && housekeeping(conn, buf, start, end)) return;
  if (impl === 'socketio' && buf[start] === PING && end - start === 1) {
    conn.socket.write(PONG_FRAME);
    return;
  }
  conn.received++;
  if (measuring) windowDelivered++;
  if (!conn.watcher) return;
  const { id, seq, sentAt } = decode(buf, start);
  watcherDeliveries++;
  if (seq !== conn.nextSeq[id]) outOfOrder++;
  conn.nextSeq[id] = seq + 1;
  if (measuring) {
    const b = Math.min(histogram.length - 1, Math.floor((performance.now() - sentAt) / BUCKET_MS));
    histogram[b]++;
  }
  const p = publishers[id];
  if (p.acker === conn && seq >= p.acked) {
    p.acked = seq + 1;
    if (rate === 0) fill(p);
  }
};

const onPublisherText = (conn, buf, start, end) => {
  housekeeping(conn, buf, start, end);
};

const padding = 'x'.repeat(size);

function publishOne(p) {
  const head = `p${p.id}:${p.sent}:${performance.now().toFixed(3)}|`;
  p.socket.write(maskedText(wire(head + padding.slice(head.length))));
  p.sent++;
  totalPublished++;
  if (measuring) windowPublished++;
}

/** Closed loop: keeps `window` messages of `p` in flight. */
function fill(p) {
  while (publishing && p.sent - p.acked < windowSize) publishOne(p);
}

function percentile(q) {
  let total = 0;
  for (const c of histogram) total += c;
  if (total === 0) return null;
  let seen = 0;
  const rank = q * total;
  for (let b = 0; b < histogram.length; b++) {
    seen += histogram[b];
    if (seen >= rank) return (b + 0.5) * BUCKET_MS;
  }
  return null;
}

const cpu = (pids) => {
  let sum = 0;
  for (const pid of pids) {
    const s = treeCpuSeconds(pid);
    if (s === null) return null;
    sum += s;
  }
  return sum;
};

const path = (role) => (impl === 'weft' ? `/${role}` : `/socket.io/?EIO=4&transport=websocket&role=${role}`);

async function connectAll() {
  const jobs = [];
  for (let i = 0; i < subscriberCount; i++) jobs.push({ role: 'sub', i, port: ports[i % 2] });
  for (let i = 0; i < publisherCount; i++) jobs.push({ role: 'pub', i, port: ports[i % 2] });
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const conn = await open(job.port, path(job.role), job.role === 'sub' ? onSubscriberText : onPublisherText);
      conn.role = job.role;
      conn.side = job.i % 2;
      if (job.role === 'sub') {
        conn.watcher = job.i % WATCHER_EVERY < 2; // two in every WATCHER_EVERY: one on each side
        conn.nextSeq = new Array(publisherCount).fill(0);
        subscribers.push(conn);
      } else {
        conn.id = job.i;
        conn.sent = 0;
        conn.acked = 0;
        publishers.push(conn);
      }
      if (impl === 'weft' && job.role === 'pub') conn.markReady();
      await conn.ready;
    }
  };
  let timer;
  await Promise.race([
    Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('connecting took too long')), CONNECT_TIMEOUT_MS))),
  ]).finally(() => clearTimeout(timer));
  publishers.sort((a, b) => a.id - b.id);
  // Each publisher's messages leave flight when a watcher on the other server gets them.
  const watchers = subscribers.filter((s) => s.watcher);
  for (const p of publishers) p.acker = watchers.find((w) => w.side !== p.side);
}

try {
  await connectAll();
} catch (error) {
  fail(error.message);
}

publishing = true;
let ticker = null;
if (rate === 0) for (const p of publishers) fill(p);
else {
  const started = performance.now();
  ticker = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (totalPublished < due) publishOne(publishers[totalPublished % publisherCount]);
  }, 5);
}
// Publishing runs for the whole window; counting starts once everything is in motion.
const cpuStart = { server: cpu(serverPids), redis: redisPid === null ? null : cpu([redisPid]), client: process.cpuUsage() };
const started = performance.now();
measuring = true;
await new Promise((r) => setTimeout(r, durationMs));
measuring = false;
const seconds = (performance.now() - started) / 1000;
const serverCpuSeconds = cpuStart.server === null ? null : cpu(serverPids) - cpuStart.server;
const redisCpuSeconds = cpuStart.redis === null ? null : cpu([redisPid]) - cpuStart.redis;
const clientUsage = process.cpuUsage(cpuStart.client);
const delivered = windowDelivered;
publishing = false;
if (ticker !== null) clearInterval(ticker);

// Drain: everything published should arrive.
const drainStart = performance.now();
while (performance.now() - drainStart < DRAIN_MS && subscribers.some((s) => s.received < totalPublished && !s.closed)) {
  await new Promise((r) => setTimeout(r, 20));
}
let lost = 0;
let closedByServer = 0;
for (const s of subscribers) {
  lost += Math.max(0, totalPublished - s.received);
  if (s.closed || s.closeCode !== 0) closedByServer++;
}
for (const c of [...subscribers, ...publishers]) c.socket.destroy();

const perMsgUs = (s) => (s === null || delivered === 0 ? null : (s / delivered) * 1e6);
const result = {
  deliveredPerSec: delivered / seconds,
  published: totalPublished,
  publishedPerSec: windowPublished / seconds,
  p50Ms: percentile(0.5),
  p99Ms: percentile(0.99),
  lost,
  closedSubscribers: closedByServer,
  outOfOrder,
  watcherDeliveries,
  serverCpu: serverCpuSeconds === null ? null : serverCpuSeconds / seconds,
  redisCpu: redisCpuSeconds === null ? null : redisCpuSeconds / seconds,
  serverUsPerDelivery: perMsgUs(serverCpuSeconds),
  redisUsPerDelivery: perMsgUs(redisCpuSeconds),
  clientCpu: (clientUsage.user + clientUsage.system) / 1e6 / seconds,
  seconds,
};
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(0);
