/**
 * The hub in one process, over real sockets with the `ws` package and raw
 * clients as subscribers: topics, text and binary, except/from, ownership of
 * subscriptions, order per publisher, slow subscribers, flooding publishers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { router } from '../../src/app/router.js';
import type { Bus } from '../../src/pubsub/bus.js';
import { createHub } from '../../src/pubsub/hub.js';
import { websocket } from '../../src/ws/accept.js';
import type { WSConn } from '../../src/ws/websocket.js';
import { startServer } from '../http/support.js';
import { assertWhole, heapAfterGc, snapshot } from '../leaks.js';
import { openClient } from '../ws/client.js';
import { frame, rawConnect } from '../ws/raw.js';
import { hubServer, socketOf, text, turn } from './support.js';

test('a subscriber gets what is published on its topics only; text stays text, bytes stay binary; HTTP handlers publish too', async () => {
  const { server, join } = await hubServer();
  const before = snapshot();
  try {
    const a = await join('x', 'y');
    const b = await join('x');
    const c = await join('z');
    const post = (topic: string, body: string | Buffer, type: string) =>
      fetch(`http://127.0.0.1:${server.port}/publish/${topic}`, { method: 'POST', body, headers: { 'content-type': type } });
    assert.equal((await post('x', 'hello x', 'text/plain')).status, 204);
    assert.equal(await text(a), 'hello x');
    assert.equal(await text(b), 'hello x');

    await post('y', Buffer.from([0, 1, 2, 255]), 'application/octet-stream');
    const bin = await a.next();
    assert.equal(bin.binary, true);
    assert.deepEqual([...bin.data], [0, 1, 2, 255]);

    a.ws.send(Buffer.from('bytes from a')); // to topic x, a's first: a gets its own copy
    for (const who of [a, b]) {
      const m = await who.next();
      assert.equal(m.binary, true);
      assert.equal(String(m.data), 'bytes from a');
    }
    b.ws.send('pubx x not for b'); // except: b
    assert.equal(await text(a), 'not for b');
    b.ws.send('pub x for everyone');
    assert.equal(await text(a), 'for everyone');
    assert.equal(await text(b), 'for everyone', 'b skipped the message it was excepted from');

    await post('z', 'only z', 'text/plain');
    assert.equal(await text(c), 'only z', 'c got nothing of x and y');
    for (const who of [a, b, c]) await who.close();
  } finally {
    await server.close();
  }
  await assertWhole(server, before);
});

test('subscriptions end with unsubscribe() or the connection; the bus hears of a topic once, on its first and after its last subscriber', async () => {
  const calls: string[] = [];
  const bus: Bus = {
    kind: 'local',
    start() {},
    publish: () => undefined,
    subscribe: (t) => void calls.push(`+${t}`),
    unsubscribe: (t) => void calls.push(`-${t}`),
    stats: () => ({ kind: 'local', connected: true, queuedBytes: 0, queueFull: 0, received: 0, disconnects: 0, reconnects: 0 }),
    close: () => Promise.resolve(),
  };
  const { hub, server, join } = await hubServer({ bus });
  try {
    const a = await join('x', 'y');
    const b = await join('x');
    assert.deepEqual(calls, ['+x', '+y']);
    assert.equal(hub.subscriberCount('x'), 2);
    assert.deepEqual({ topics: hub.stats().topics, subscriptions: hub.stats().subscriptions }, { topics: 2, subscriptions: 3 });

    a.ws.send('unsub y');
    a.ws.send('pub x marker'); // commands run in order: y is gone when this arrives
    assert.equal(await text(a), 'marker');
    assert.deepEqual(calls, ['+x', '+y', '-y']);
    hub.publish('y', 'nobody listens');
    assert.equal(hub.subscriberCount('y'), 0);

    await a.close();
    await b.close();
    await server.drained();
    assert.deepEqual(calls, ['+x', '+y', '-y', '-x'], 'closing sockets end their subscriptions');
    assert.deepEqual({ topics: hub.stats().topics, subscriptions: hub.stats().subscriptions }, { topics: 0, subscriptions: 0 });
  } finally {
    await server.close();
  }
});

test('a connection that subscribes and unsubscribes all day leaves nothing behind; past maxTopicsPerConnection it is refused', { timeout: 60_000 }, async () => {
  const { hub, server, join } = await hubServer({ maxTopicsPerConnection: 3 });
  try {
    const a = await join(); // no topic of its own: every cycle goes from none to one and back
    const churn = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) a.ws.send(`sub t${i % 100}`), a.ws.send(`unsub t${i % 100}`);
      for (const command of ['sub m', 'pub m marker', 'unsub m']) a.ws.send(command);
      assert.equal(await text(a), 'marker');
    };
    await churn(2_000); // warm up
    const heap = heapAfterGc();
    await churn(20_000);
    const growth = heapAfterGc() - heap;
    assert.ok(growth < 1024 * 1024, `heap grew by ${growth} bytes over 20,000 subscriptions`);
    assert.deepEqual([hub.stats().topics, hub.stats().subscriptions], [0, 0]);

    a.ws.send('sub x');
    a.ws.send('sub y');
    a.ws.send('sub z');
    a.ws.send('sub w'); // a fourth
    assert.equal(await text(a), 'refused: a connection subscribes to 3 topics at most');
    assert.equal(hub.stats().subscriptions, 3);
    await a.close();
  } finally {
    await server.close();
  }
});

test('ws.subscribe() without a hub throws; bad topics and messages are refused', async () => {
  let thrown: unknown;
  const server = await startServer(router().get('/', websocket(async (ws) => {
    // A rejection (as the hub's refusals are), so that .catch() sees it.
    thrown = await ws.subscribe('t').then(() => null, (err: unknown) => err);
  })));
  try {
    const c = await openClient(server.port);
    await c.closed;
    assert.ok(thrown instanceof TypeError);
    assert.match((thrown as Error).message, /needs a hub/);
  } finally {
    await server.close();
  }
  const hub = createHub();
  assert.throws(() => hub.publish('', 'x'), RangeError);
  assert.throws(() => hub.publish('t'.repeat(300), 'x'), RangeError);
  assert.throws(() => hub.publish('t', 42 as unknown as string), TypeError);
});

test('order is kept per publisher: three publishers interleaved, every subscriber sees each one in order', async () => {
  const { server, join } = await hubServer();
  try {
    const N = 500;
    const pubs = [await join('t'), await join('t'), await join('t')];
    const subs = [await join('t'), await join('t')];
    pubs.forEach((p, i) => {
      for (let n = 0; n < N; n++) p.ws.send(`pub t ${i}:${n}`);
    });
    for (const c of [...subs, ...pubs]) {
      const next = [0, 0, 0];
      for (let k = 0; k < 3 * N; k++) {
        const [who, n] = (await text(c)).split(':').map(Number);
        assert.equal(n, next[who!], `publisher ${who} out of order`);
        next[who!]!++;
      }
    }
    for (const c of [...pubs, ...subs]) await c.close();
  } finally {
    await server.close();
  }
});

test('a subscriber too slow to keep up is closed with 1013; the others get every message', { timeout: 60_000 }, async () => {
  let slowSeen!: (ws: WSConn) => void;
  const slowClosed = new Promise<WSConn>((r) => (slowSeen = r));
  const { hub, server, join } = await hubServer({ outboxBytes: 256 * 1024, onSlow: (ws) => slowSeen(ws) });
  const before = snapshot();
  try {
    const fast = [await join('t'), await join('t')];
    const slow = await join('t');
    socketOf(slow).pause(); // never reads again, until the end
    let received = 0;
    for (const f of fast) f.ws.on('message', () => received++);
    const msg = 'x'.repeat(1000);
    let gone = false;
    void slowClosed.then(() => (gone = true));
    let published = 0;
    while (!gone) {
      assert.ok(published < 100_000, 'the slow subscriber was never dropped');
      hub.publish('t', msg);
      if (++published % 64 === 0) await turn();
    }
    assert.equal(hub.stats().slowClosed, 1);
    assert.equal(hub.subscriberCount('t'), 2);
    hub.publish('t', 'last');
    published++;
    await Promise.all(fast.map((f) => new Promise<void>((r) => f.ws.on('message', (d) => String(d) === 'last' && r()))));
    assert.equal(received, 2 * published, 'the fast subscribers missed nothing');
    socketOf(slow).resume();
    assert.equal((await slow.closed).code, 1013);
    for (const f of fast) await f.close();
  } finally {
    await server.close();
  }
  await assertWhole(server, before);
});

test("whenFull: 'drop': a slow subscriber misses messages (counted) instead of being closed", { timeout: 60_000 }, async () => {
  let dropped = 0;
  const { hub, server, join } = await hubServer({ outboxBytes: 64 * 1024, whenFull: 'drop', onSlow: () => dropped++ });
  try {
    const slow = await join('t');
    socketOf(slow).pause();
    const msg = 'y'.repeat(1000);
    for (let i = 0; dropped === 0; i++) {
      assert.ok(i < 100_000, 'nothing was ever dropped');
      hub.publish('t', msg);
      if (i % 64 === 0) await turn();
    }
    assert.equal(hub.stats().dropped, dropped);
    assert.equal(hub.stats().slowClosed, 0);
    assert.equal(hub.subscriberCount('t'), 1, 'still subscribed');
    socketOf(slow).resume();
    let got = false;
    slow.ws.on('message', (d) => (got ||= String(d) === 'after'));
    while (!got) {
      hub.publish('t', 'after'); // delivered once it has caught up
      await turn();
    }
    await slow.close();
  } finally {
    await server.close();
  }
});

test('a publisher that floods without reading is slowed down: the server stops reading it, memory stays bounded, others keep receiving', { timeout: 60_000 }, async () => {
  const { hub, server, join } = await hubServer({ outboxBytes: 256 * 1024 });
  const before = snapshot();
  try {
    const listener = await join('t');
    let heard = 0;
    listener.ws.on('message', () => heard++);
    const flooder = await rawConnect(server.port, {}, { path: '/ws?topic=t' });
    assert.equal(flooder.status, 101);
    flooder.socket.pause(); // reads nothing: not its own copies either
    const heapBefore = heapAfterGc();
    const buffersBefore = process.memoryUsage().arrayBuffers;
    // One frame written again and again: the client's queue holds references, not copies.
    const f = frame({ opcode: 1, payload: `pub t ${'z'.repeat(4000)}` });
    let written = 0;
    while (flooder.socket.writableLength < 16 * 1024 * 1024) {
      assert.ok(written < 1024 * 1024 * 1024, 'the server read a gigabyte without slowing the publisher');
      flooder.socket.write(f);
      written += f.length;
      if (written % (64 * f.length) === 0) await turn();
    }
    const published = hub.stats().published;
    const taken = published * f.length;
    assert.ok(written - taken > 16 * 1024 * 1024, `the server took ${taken} of ${written} bytes`);
    const heapGrowth = heapAfterGc() - heapBefore;
    const bufferGrowth = process.memoryUsage().arrayBuffers - buffersBefore;
    assert.ok(heapGrowth < 8 * 1024 * 1024, `heap grew by ${heapGrowth} bytes`);
    assert.ok(bufferGrowth < 8 * 1024 * 1024, `buffers grew by ${bufferGrowth} bytes`);
    // The listener heard (or will hear) everything the flooder got to publish.
    hub.publish('t', 'end');
    await new Promise<void>((r) => listener.ws.on('message', (d) => String(d) === 'end' && r()));
    assert.equal(heard, published + 1);
    flooder.socket.destroy();
    await listener.close();
  } finally {
    await server.close();
  }
  await assertWhole(server, before);
});

test('the status endpoint reports the counters as JSON', async () => {
  const { server, join } = await hubServer();
  try {
    const a = await join('t');
    a.ws.send('pub t one');
    await a.next();
    const r = await fetch(`http://127.0.0.1:${server.port}/status`);
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    const s = (await r.json()) as { pid: number; published: number; delivered: number; dropped: number; topics: number; bus: { kind: string } };
    assert.equal(s.pid, process.pid);
    assert.equal(s.published, 1);
    assert.equal(s.delivered, 1);
    assert.equal(s.dropped, 0);
    assert.equal(s.topics, 1);
    assert.equal(s.bus.kind, 'local');
    await a.close();
  } finally {
    await server.close();
  }
});


