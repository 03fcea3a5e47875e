/**
 * weft's WebSocket server against an independent client (the `ws` package):
 * messages of every size and kind, fragmentation, ping/pong, close codes,
 * concurrent senders, streamed sends.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { websocket, type CloseInfo, type WSConn } from '../../src/ws/index.js';
import { openClient } from './client.js';
import { serve, type Harness } from './harness.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

type App = (ws: WSConn) => Promise<void>;
let h: Harness;
const closes: CloseInfo[] = [];
const errors: unknown[] = [];

// One server; the path picks the application.
const apps: Record<string, App> = {
  '/echo': async (ws) => {
    for await (const msg of ws) await ws.send(msg.data);
  },
  '/types': async (ws) => {
    for await (const msg of ws) await ws.send(`${msg.type}:${msg.data.length}`);
  },
  '/ping': async (ws) => {
    await ws.ping('are you there');
    await ws.ping();
    await ws.send('pongs received');
    for await (const _ of ws);
  },
  '/close-4001': async (ws) => {
    await ws.send('bye soon');
    await ws.close(4001, 'server says bye');
  },
  '/return': async (ws) => {
    await ws.send('returning');
  },
  '/throw': async (ws) => {
    await ws.send('throwing');
    throw new Error('application bug');
  },
  '/producers': async (ws) => {
    // Ten concurrent producers, large and small messages mixed.
    await Promise.all(
      Array.from({ length: 10 }, async (_, p) => {
        for (let i = 0; i < 50; i++) {
          const big = i % 7 === 0;
          await ws.send(big ? Buffer.alloc(20_000, p) : `${p}:${i}`);
        }
      }),
    );
    await ws.send('done');
    for await (const _ of ws);
  },
  '/stream-send': async (ws) => {
    let n = 0;
    await ws.send({
      type: 'binary',
      read: async () => (n < 5 ? Buffer.alloc(10_000, n++) : Buffer.alloc(0)),
    });
    await ws.send('after');
    for await (const _ of ws);
  },
  '/unguarded-send': async (ws) => {
    for await (const _ of ws);
    await ws.send('the peer is gone'); // throws WEFT_WS_CLOSED, uncaught
  },
  '/after-close': async (ws) => {
    for await (const msg of ws) await ws.send(msg.data);
    await assert.rejects(ws.send('too late'), { code: 'WEFT_WS_CLOSED' });
    await assert.rejects(ws.ping(), { code: 'WEFT_WS_CLOSED' });
  },
};

before(async () => {
  h = await serve(
    websocket(
      async (ws, req) => {
        void ws.closed.then((info) => closes.push(info));
        await apps[req.path]!(ws);
      },
      { onError: (err) => errors.push(err) },
    ),
  );
});
after(async () => {
  await h.close();
  assert.deepEqual(h.errors, []);
});

test('text and binary messages of every length class round-trip', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/echo' });
  for (const n of [0, 1, 125, 126, 4095, 4096, 65535, 65536, 1 << 20]) {
    const bin = randomBytes(n);
    c.ws.send(bin);
    const got = await c.next();
    assert.equal(got.binary, true);
    assert.ok(got.data.equals(bin), `binary ${n}`);
    const text = 'é'.repeat(n >> 1) + 'x'.repeat(n & 1);
    c.ws.send(text);
    const t = await c.next();
    assert.equal(t.binary, false);
    assert.equal(t.data.toString(), text, `text ${n}`);
  }
  assert.deepEqual(await c.close(), { code: 1000, reason: '' });
});

test('fragmented messages from the client are delivered whole', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/types' });
  c.ws.send('abc', { fin: false });
  c.ws.send('def', { fin: false });
  c.ws.ping();
  c.ws.send('€', { fin: true });
  assert.equal((await c.next()).data.toString(), 'text:7');
  c.ws.send(Buffer.alloc(70_000), { binary: true, fin: false });
  c.ws.send(Buffer.alloc(70_000), { binary: true, fin: true });
  assert.equal((await c.next()).data.toString(), 'binary:140000');
  await c.close();
});

test('pipelined messages keep their order', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/echo' });
  for (let i = 0; i < 1000; i++) c.ws.send(`m${i}`);
  for (let i = 0; i < 1000; i++) assert.equal((await c.next()).data.toString(), `m${i}`);
  await c.close();
});

test('server ping resolves on the pong; client ping gets a pong', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/ping' });
  assert.equal((await c.next()).data.toString(), 'pongs received');
  const pong = new Promise<Buffer>((r) => c.ws.once('pong', r));
  c.ws.ping('hello');
  assert.equal((await pong).toString(), 'hello');
  await c.close();
});

test('client close code and reason reach the server; the server echoes the code', HANG_GUARD, async () => {
  await h.idle();
  const before = closes.length;
  const c = await openClient(h.port, { path: '/echo' });
  assert.deepEqual(await c.close(4321, 'client leaving'), { code: 4321, reason: '' });
  await h.idle();
  assert.deepEqual(closes.slice(before), [{ code: 4321, reason: 'client leaving', wasClean: true }]);
});

test('server close(4001, reason) reaches the client', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/close-4001' });
  assert.equal((await c.next()).data.toString(), 'bye soon');
  assert.deepEqual(await c.closed, { code: 4001, reason: 'server says bye' });
});

test('an application that returns closes with 1000; one that throws with 1011', HANG_GUARD, async () => {
  let c = await openClient(h.port, { path: '/return' });
  assert.equal((await c.closed).code, 1000);
  c = await openClient(h.port, { path: '/throw' });
  assert.equal((await c.closed).code, 1011);
  await h.idle();
  assert.ok(errors.some((e) => e instanceof Error && e.message === 'application bug'));
});

test('concurrent producers: every message arrives once, each producer in order', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/producers' });
  const next = new Map<number, number>();
  let bigs = 0;
  for (;;) {
    const m = await c.next();
    if (m.binary) {
      assert.equal(m.data.length, 20_000);
      const p = m.data[0]!;
      assert.ok(m.data.every((b) => b === p));
      next.set(p, (next.get(p) ?? 0) + 1);
      bigs++;
      continue;
    }
    const s = m.data.toString();
    if (s === 'done') break;
    const [p, i] = s.split(':').map(Number) as [number, number];
    assert.equal(i, next.get(p) ?? 0, `producer ${p}`);
    next.set(p, i + 1);
  }
  assert.equal(bigs, 10 * 8);
  for (let p = 0; p < 10; p++) assert.equal(next.get(p), 50);
  await c.close();
});

test('a streamed send arrives as one message, and later sends after it', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/stream-send' });
  const m = await c.next();
  assert.equal(m.data.length, 50_000);
  for (let i = 0; i < 5; i++) assert.equal(m.data[i * 10_000], i);
  assert.equal((await c.next()).data.toString(), 'after');
  await c.close();
});

test('after the peer closes, send and ping reject with WEFT_WS_CLOSED', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/after-close' });
  await c.close();
  await h.idle();
  assert.deepEqual(errors.filter((e) => !(e instanceof Error && e.message === 'application bug')), []);
});

test('a send failing because the peer closed is not reported as an application error', HANG_GUARD, async () => {
  const before = errors.length;
  const c = await openClient(h.port, { path: '/unguarded-send' });
  await c.close();
  await h.idle();
  assert.equal(errors.length, before);
});

test('server shutdown closes open WebSockets with 1001', HANG_GUARD, async () => {
  const c = await openClient(h.port, { path: '/echo' });
  await h.close();
  assert.equal((await c.closed).code, 1001);
});
