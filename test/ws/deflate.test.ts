/**
 * permessage-deflate end to end with the `ws` client: every negotiation
 * parameter, messages round-tripped, context takeover and window size
 * visible on the wire, zip bombs, streamed inflation, the zlib concurrency
 * limit, and no zlib stream left open once connections end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import * as zlib from 'node:zlib';
import type { Conn } from '../../src/net/conn.js';
import { createSemaphore, type Semaphore } from '../../src/sync/semaphore.js';
import { MessageInflater } from '../../src/ws/deflate.js';
import { WSError } from '../../src/ws/errors.js';
import { liveZlibStreams, websocket, type WSConn } from '../../src/ws/index.js';
import { openClient, type Client } from './client.js';
import { serve, type Harness } from './harness.js';
import { expectFail, frame, rawConnect } from './raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A semaphore that records how many permits were ever held at once. */
function recordingLimiter(permits: number): Semaphore & { peak: number } {
  const inner = createSemaphore(permits);
  const rec = {
    peak: 0,
    get active() {
      return inner.active;
    },
    get waiting() {
      return inner.waiting;
    },
    tryAcquire() {
      const ok = inner.tryAcquire();
      rec.peak = Math.max(rec.peak, inner.active);
      return ok;
    },
    async acquire() {
      await inner.acquire();
      rec.peak = Math.max(rec.peak, inner.active);
    },
    release: () => inner.release(),
    close: () => inner.close(),
  };
  return rec;
}

type App = (ws: WSConn, conn: Conn) => Promise<void>;
let h: Harness;
const apps: Record<string, App> = {};
const serverExtensions: string[] = [];
const limiter = recordingLimiter(2);

before(async () => {
  h = await serve(
    websocket(
      async (ws, req) => {
        serverExtensions.push(ws.extensions);
        await (apps[req.path] ?? echo)(ws, h.upgraded.at(-1)!);
      },
      { perMessageDeflate: { threshold: 1024 }, maxMessageSize: 1024 * 1024, zlibLimiter: limiter },
    ),
  );
});
after(async () => {
  await h.close();
  assert.deepEqual(h.errors, []);
  assert.equal(liveZlibStreams(), 0);
  assert.ok(limiter.peak <= 2);
});

async function echo(ws: WSConn): Promise<void> {
  for await (const msg of ws) await ws.send(msg.data);
}

const words = (n: number): string => {
  const dict = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];
  let s = '';
  let x = 12345;
  while (s.length < n) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += dict[x % dict.length] + ' ';
  }
  return s.slice(0, n);
};

async function roundTrip(c: Client): Promise<void> {
  const messages: (string | Buffer)[] = [
    words(10_000), // compressible, above the threshold
    'tiny', // below the threshold: sent uncompressed
    '',
    randomBytes(5000), // incompressible
    Buffer.from(words(1 << 20).slice(0, 1024 * 1024 - 10)), // near the size limit once inflated
    words(10_000), // again: context takeover (if any) is exercised
    'é€𝄞'.repeat(2000),
  ];
  for (const m of messages) {
    c.ws.send(m);
    const got = await c.next();
    assert.equal(got.binary, Buffer.isBuffer(m));
    assert.ok(got.data.equals(Buffer.isBuffer(m) ? m : Buffer.from(m)), `message of ${m.length}`);
  }
  // A compressed message sent in fragments.
  c.ws.send(words(3000), { fin: false });
  c.ws.send(words(3000), { fin: true });
  assert.equal((await c.next()).data.toString(), words(3000) + words(3000));
}

const combos: [string, Record<string, unknown>, string][] = [
  ['defaults', {}, 'permessage-deflate'],
  ['serverNoContextTakeover', { serverNoContextTakeover: true }, 'permessage-deflate; server_no_context_takeover'],
  ['clientNoContextTakeover', { clientNoContextTakeover: true }, 'permessage-deflate; client_no_context_takeover'],
  ['serverMaxWindowBits 10', { serverMaxWindowBits: 10 }, 'permessage-deflate; server_max_window_bits=10'],
  ['serverMaxWindowBits 8', { serverMaxWindowBits: 8 }, 'permessage-deflate; server_max_window_bits=8'],
  ['clientMaxWindowBits 10', { clientMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits=10'],
  ['clientMaxWindowBits 8', { clientMaxWindowBits: 8 }, 'permessage-deflate; client_max_window_bits=8'],
  [
    'everything',
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 11 },
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=11',
  ],
];

for (const [name, options, agreed] of combos) {
  test(`negotiated and round-tripped: ${name}`, HANG_GUARD, async () => {
    const c = await openClient(h.port, { path: '/echo', perMessageDeflate: options });
    assert.equal(c.headers['sec-websocket-extensions'], agreed);
    assert.equal(serverExtensions.at(-1), agreed);
    await roundTrip(c);
    assert.ok(liveZlibStreams() >= 2);
    await c.close();
  });
}

test('a client offering no compression gets none, and its RSV1 frames are refused (1002)', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/echo', perMessageDeflate: false });
  assert.equal(c.headers['sec-websocket-extensions'], undefined);
  await c.close();
  const raw = await rawConnect(h.port, {}, { path: '/echo' });
  assert.equal(raw.headers['sec-websocket-extensions'], undefined);
  raw.write(frame({ opcode: 1, rsv: 4, payload: zlib.deflateRawSync('x') }));
  await expectFail(raw, 1002);
});

/** Bytes the client received for one message sent by the server. */
async function wireSize(c: Client, sock: import('node:net').Socket, send: () => void): Promise<number> {
  const before = sock.bytesRead;
  send();
  await c.next();
  return sock.bytesRead - before;
}

test('context takeover and window size are visible on the wire', HANG_GUARD, async () => {
  const text = randomBytes(6000).toString('base64'); // ~8 KB, compresses to ~6 KB on its own
  apps['/repeat'] = async (ws) => {
    for await (const _ of ws) await ws.send(text);
  };
  const sizes = async (options: Record<string, unknown>): Promise<[number, number]> => {
    const c = await openClient(h.port, { path: '/repeat', perMessageDeflate: options });
    const sock = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
    const first = await wireSize(c, sock, () => c.ws.send('go'));
    const second = await wireSize(c, sock, () => c.ws.send('go'));
    await c.close();
    return [first, second];
  };
  const [a1, a2] = await sizes({});
  assert.ok(a1 < text.length && a2 < a1 / 10, `with context takeover: ${a1} then ${a2}`);
  const [b1, b2] = await sizes({ serverNoContextTakeover: true });
  assert.ok(Math.abs(b1 - b2) < 20, `without context takeover: ${b1} then ${b2}`);
  // A 1 KiB window cannot reach back to the previous 8 KB message.
  const [c1, c2] = await sizes({ serverMaxWindowBits: 10 });
  assert.ok(c2 > c1 / 2, `with a 1 KiB window: ${c1} then ${c2}`);
});

test('zip bomb: a small compressed message inflating past maxMessageSize → 1009', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/echo', perMessageDeflate: {} });
  const sock = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
  const before = sock.bytesWritten;
  c.ws.send(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros: ~64 KB compressed
  const closed = await c.closed;
  assert.equal(closed.code, 1009);
  assert.ok(sock.bytesWritten - before < 200 * 1024);
});

test('zip bomb, inflater level: inflating stops within one zlib chunk of the limit', HANG_GUARD, async () => {
  const inflater = new MessageInflater(15, false, createSemaphore(1));
  const LIMIT = 1024 * 1024;
  const bomb = zlib.deflateRawSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
  let seen = 0;
  const sink = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen > LIMIT) throw new WSError('WEFT_WS_TOO_BIG', 'limit', 1009);
  };
  await assert.rejects(inflater.inflate(bomb, true, sink), { code: 'WEFT_WS_TOO_BIG' });
  assert.ok(seen <= LIMIT + 64 * 1024, `inflated ${seen} bytes`);
  inflater.close();
});

test('corrupt compressed data → 1007; RSV1 on a continuation frame → 1002', HANG_GUARD, async () => {
  const ext = { 'Sec-WebSocket-Extensions': 'permessage-deflate' };
  let c = await rawConnect(h.port, ext, { path: '/echo' });
  assert.equal(c.headers['sec-websocket-extensions'], 'permessage-deflate');
  c.write(frame({ opcode: 2, rsv: 4, payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]) }));
  await expectFail(c, 1007);
  c = await rawConnect(h.port, ext, { path: '/echo' });
  const body = zlib.deflateRawSync('hello', { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
  c.write([frame({ opcode: 1, rsv: 4, payload: body, fin: false }), frame({ opcode: 0, rsv: 4, payload: body })]);
  await expectFail(c, 1002);
});

test('a compressed message streamed through recv()/read(), with the reader behind', HANG_GUARD, async () => {
  const SIZE = 16 * 1024 * 1024;
  apps['/stream'] = async (ws) => {
    const msg = await ws.recv();
    let n = 0;
    let ok = true;
    let reads = 0;
    for (let b = await msg!.read(); b.length > 0; b = await msg!.read()) {
      for (let i = 0; i < b.length; i += 997) ok &&= b[i] === ((n + i) & 0xff);
      n += b.length;
      if (++reads % 8 === 0) await turn();
    }
    await ws.send(`${n} ${ok}`);
    for (;;) if ((await ws.recv()) === null) break;
  };
  const c = await openClient(h.port, { path: '/stream', perMessageDeflate: {} });
  const data = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i++) data[i] = i & 0xff;
  c.ws.send(data);
  assert.equal((await c.next()).data.toString(), `${SIZE} true`);
  await c.close();
});

test('a reader paused on a streamed message does not hold a zlib permit', HANG_GUARD, async () => {
  // One permit: if the stalled inflate kept it, the other connection's
  // compression would wait for ever.
  const one = recordingLimiter(1);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const h2 = await serve(
    websocket(
      async (ws, req) => {
        if (req.path === '/stall') {
          const msg = await ws.recv();
          await msg!.read();
          await released;
          let n = 0;
          for (let b = await msg!.read(); b.length > 0; b = await msg!.read()) n += b.length;
          await ws.send(`rest ${n}`);
          for (;;) if ((await ws.recv()) === null) break;
        } else {
          await echo(ws);
        }
      },
      { perMessageDeflate: true, zlibLimiter: one },
    ),
  );
  const a = await openClient(h2.port, { path: '/stall', perMessageDeflate: {} });
  a.ws.send(Buffer.from(words(8 * 1024 * 1024)));
  const b = await openClient(h2.port, { path: '/echo', perMessageDeflate: {} });
  for (let i = 0; i < 20; i++) {
    b.ws.send(words(5000 + i));
    assert.equal((await b.next()).data.length, 5000 + i);
  }
  release();
  assert.match((await a.next()).data.toString(), /^rest \d+$/);
  assert.equal(one.peak, 1);
  await a.close();
  await b.close();
  await h2.close();
});

test('many connections compressing at once share the limiter, and every zlib stream is closed', HANG_GUARD, async () => {
  const clients = await Promise.all(Array.from({ length: 12 }, () => openClient(h.port, { path: '/echo', perMessageDeflate: {} })));
  await Promise.all(
    clients.map(async (c, i) => {
      for (let k = 0; k < 5; k++) {
        const m = words(4000 + i * 10 + k);
        c.ws.send(m);
        assert.equal((await c.next()).data.toString(), m);
      }
    }),
  );
  assert.ok(liveZlibStreams() >= 24);
  assert.ok(limiter.peak <= 2);
  // Half close cleanly, half just vanish.
  await Promise.all(clients.map((c, i) => (i % 2 === 0 ? c.close() : (c.ws.terminate(), c.closed))));
  await h.idle();
  assert.equal(liveZlibStreams(), 0);
});

test('a compressed message whose wire size alone exceeds the limit → 1009 from the header', HANG_GUARD, async () => {
  const c = await rawConnect(h.port, { 'Sec-WebSocket-Extensions': 'permessage-deflate' }, { path: '/echo' });
  // 2 MiB of "compressed" bytes against a 1 MiB limit: no need to inflate any.
  c.write(frame({ opcode: 2, rsv: 4, payload: Buffer.alloc(2 * 1024 * 1024) }).subarray(0, 14));
  await expectFail(c, 1009);
});
