/**
 * The Redis bus against a real redis-server: two hubs (as two processes
 * would be) on one Redis, each with its own server and WebSocket clients.
 * Subscriptions follow local subscribers; Redis dies and comes back; the
 * queue fills while it is down.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { after, before, test } from 'node:test';
import { createHub } from '../../src/pubsub/hub.js';
import { redisBus, type RedisBusOptions } from '../../src/pubsub/redis-bus.js';
import { RedisConn } from '../../src/pubsub/redis/client.js';
import { assertWhole, snapshot } from '../leaks.js';
import type { Client } from '../ws/client.js';
import { hasRedis, startRedis, type RedisServer } from './redis-server.js';
import { hubServer, logLines, text } from './support.js';

const skip = !hasRedis && 'redis-server is not installed';
let redis: RedisServer;
before(async () => {
  if (!skip) redis = await startRedis();
});
after(() => redis?.stop());

type Side = Awaited<ReturnType<typeof hubServer>> & { logs: ReturnType<typeof logLines>; stop(): Promise<void> };

/** A server whose hub is on the test's Redis. */
async function side(options: Partial<RedisBusOptions> = {}): Promise<Side> {
  const logs = logLines();
  const s = await hubServer({ bus: redisBus({ url: redis.url, log: logs.log, reconnectMin: 20, reconnectMax: 200, ...options }) });
  return { ...s, logs, stop: async () => {
    await s.server.close();
    await s.hub.close();
  } };
}

/** How many subscribers Redis has for a topic's channel. */
async function numsub(topic: string): Promise<number> {
  const c = await RedisConn.connect({ host: '127.0.0.1', port: redis.port });
  try {
    const reply = (await c.command(['PUBSUB', 'NUMSUB', `weft:${topic}`])) as [Buffer, number];
    return reply[1];
  } finally {
    c.close();
  }
}

/** Reads text messages until one equals `want`; returns those before it. */
async function until(c: Client, want: string): Promise<string[]> {
  const seen: string[] = [];
  for (let m = await text(c); m !== want; m = await text(c)) seen.push(m);
  return seen;
}

test('two hubs on one Redis: messages cross both ways, once each, text and binary intact, in order per publisher', { skip }, async () => {
  const before = snapshot();
  const a = await side();
  const b = await side();
  try {
    const a1 = await a.join('t');
    const a2 = await a.join('t');
    const b1 = await b.join('t');
    const N = 200;
    for (let i = 0; i < N; i++) {
      a1.ws.send(`pub t a:${i}`);
      b1.ws.send(`pub t b:${i}`);
    }
    a1.ws.send(Buffer.from([0xff, 0x00, 0x0d, 0x0a]));
    for (const c of [a1, a2, b1]) {
      const next: Record<string, number> = { a: 0, b: 0 };
      let binary = 0;
      for (let k = 0; k < 2 * N + 1; k++) {
        const m = await c.next();
        if (m.binary) {
          assert.deepEqual([...m.data], [0xff, 0x00, 0x0d, 0x0a]);
          binary++;
          continue;
        }
        const [who, n] = String(m.data).split(':');
        assert.equal(Number(n), next[who!], `${who} out of order`);
        next[who!]!++;
      }
      assert.deepEqual({ ...next, binary }, { a: N, b: N, binary: 1 }, 'everything once, nothing echoed twice');
    }
    assert.equal(a.hub.stats().received, N, 'a received b\'s messages, and skipped its own echoes');
    assert.equal(b.hub.stats().received, N + 1);
    for (const c of [a1, a2, b1]) await c.close();
  } finally {
    await a.stop();
    await b.stop();
  }
  await assertWhole({ connections: 0, drained: () => Promise.resolve() }, before);
});

test('Redis subscriptions follow local subscribers: one per process and topic, gone after the last one leaves', { skip }, async () => {
  const a = await side();
  const b = await side();
  try {
    const a1 = await a.join('news');
    const a2 = await a.join('news');
    assert.equal(await numsub('news'), 1, 'two subscribers in one process: one Redis subscription');
    const b1 = await b.join('news');
    assert.equal(await numsub('news'), 2);
    await a1.close();
    assert.equal(await numsub('news'), 2, 'a2 still listens');
    await a2.close();
    await b1.close();
    await a.server.drained();
    await b.server.drained();
    // The UNSUBSCRIBEs were written before the connections ended; Redis runs them
    // on its own time relative to this new connection: ask again until it has.
    let left = await numsub('news');
    for (let i = 0; left !== 0 && i < 100; i++) left = await numsub('news');
    assert.equal(left, 0);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('Redis killed mid-run: local delivery goes on, the servers keep serving, delivery across resumes after a restart', { skip, timeout: 60_000 }, async () => {
  const a = await side();
  const b = await side();
  try {
    const a1 = await a.join('t');
    const a2 = await a.join('t');
    const b1 = await b.join('t');
    a1.ws.send('pub t before');
    for (const c of [a1, a2, b1]) assert.equal(await text(c), 'before');

    const lostA = a.logs.next(/lost the connection/);
    const lostB = b.logs.next(/lost the connection/);
    await redis.kill();
    assert.match(await lostA, /pubsub redis:\/\/127\.0\.0\.1:\d+\/0: lost the connection \(.*\); reconnecting/);
    await lostB;

    a1.ws.send('pub t while down');
    for (const c of [a1, a2]) assert.equal(await text(c), 'while down', 'local delivery does not need Redis');
    const status = await (await fetch(`http://127.0.0.1:${a.server.port}/status`)).json() as { bus: { connected: boolean; disconnects: number } };
    assert.deepEqual([status.bus.connected, status.bus.disconnects], [false, 1]);

    const backA = a.logs.next(/reconnected/);
    const backB = b.logs.next(/reconnected/);
    await redis.restart();
    assert.match(await backA, /reconnected after [\d.]+ s; 1 topic resubscribed/);
    await backB;

    b1.ws.send('pub t from b');
    assert.deepEqual(await until(a1, 'from b'), []);
    assert.deepEqual(await until(a2, 'from b'), []);
    a1.ws.send('pub t from a');
    // What a held while Redis was down went out when it came back: b may or may
    // not have been subscribed again by then (at most once).
    const early = await until(b1, 'from a');
    assert.ok(early.every((m) => m === 'from b' || m === 'while down'), early.join());
    assert.equal(a.hub.stats().bus.reconnects, 1);
    for (const c of [a1, a2, b1]) await c.close();
  } finally {
    await a.stop();
    await b.stop();
  }
});

/**
 * A TCP gate in front of Redis: open, it forwards; shut, it cuts every
 * connection through it and drops new ones as soon as they arrive (a Redis
 * that accepts and hangs up, like one at maxclients).
 */
async function redisGate(): Promise<{ url: string; open(): void; shut(): void; refused(n: number): Promise<number[]>; close(): Promise<void> }> {
  let open = true;
  const sockets = new Set<net.Socket>();
  const refusedAt: number[] = [];
  let wanted: { n: number; resolve: (times: number[]) => void } | null = null;
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  };
  const server = net.createServer((client) => {
    track(client);
    if (!open) {
      client.destroy();
      refusedAt.push(performance.now());
      if (wanted !== null && refusedAt.length >= wanted.n) wanted.resolve(refusedAt.slice());
      return;
    }
    const upstream = net.connect(redis.port, '127.0.0.1');
    track(upstream);
    client.pipe(upstream).on('close', () => client.destroy());
    upstream.pipe(client).on('close', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    open: () => void (open = true),
    /** Resolves with the times of the first `n` connections refused while shut. */
    refused: (n) => new Promise((resolve) => {
      wanted = { n, resolve };
      if (refusedAt.length >= n) resolve(refusedAt.slice());
    }),
    shut: () => {
      open = false;
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

test('cut off from Redis, a bus holds messages up to its limit, drops the rest (counted, logged), sends what it held on return, and does not spin meanwhile', { skip, timeout: 60_000 }, async () => {
  const gate = await redisGate();
  const a = await side({ url: gate.url, queueBytes: 16 * 1024 });
  const b = await side();
  try {
    const a1 = await a.join('q');
    const b1 = await b.join('q');
    const lost = a.logs.next(/lost the connection/);
    gate.shut();
    await lost;
    // The gate takes each new connection and hangs up at once: the bus must
    // wait longer and longer between attempts (20, 40, 80 ms, ... here), not
    // spin. Each attempt is two connections (publisher, subscriber).
    const times = await gate.refused(8);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.ok(Math.max(...gaps) >= 60, `connections ${gaps.map((g) => g.toFixed(1)).join(', ')} ms apart`);
    const full = a.logs.next(/queue full/);
    const payload = 'p'.repeat(1000);
    for (let i = 0; i < 100; i++) a.hub.publish('q', `${i} ${payload}`);
    assert.match(await full, /queue full \(\d+ bytes, bus down\): dropping messages for other processes/);
    const stats = a.hub.stats();
    assert.ok(stats.busQueueFull > 50 && stats.busQueueFull < 100, `dropped ${stats.busQueueFull}`);
    assert.equal(stats.busQueueFull, stats.bus.queueFull);
    const held = 100 - stats.busQueueFull;
    assert.equal(stats.bus.disconnects, 1, 'one disconnect, however many failed attempts');

    const back = a.logs.next(/reconnected/);
    gate.open();
    assert.match(await back, new RegExp(`${held} held messages sent`));
    const got: number[] = [];
    for (let i = 0; i < held; i++) got.push(Number((await text(b1)).split(' ')[0]));
    assert.deepEqual(got, Array.from({ length: held }, (_, i) => i), 'the first ones, in order');
    const roomAgain = a.logs.next(/room again/);
    a.hub.publish('q', 'next');
    assert.match(await roomAgain, new RegExp(`${stats.busQueueFull} messages dropped`));
    assert.equal(await text(b1), 'next');
    assert.equal(a.logs.lines.filter((l) => /lost the connection|cannot connect/.test(l)).length, 1, 'the same failure is logged once');
    await a1.close();
    await b1.close();
  } finally {
    await a.stop();
    await b.stop();
    await gate.close();
  }
});

test('a Redis that stops answering (SIGSTOP) is noticed by the health ping, and the bus reconnects when it answers again', { skip, timeout: 60_000 }, async () => {
  const a = await side({ pingInterval: 100 });
  try {
    const a1 = await a.join('h');
    const lost = a.logs.next(/lost the connection/);
    process.kill(redis.pid, 'SIGSTOP');
    try {
      assert.match(await lost, /lost the connection/);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    await a.logs.next(/reconnected/);
    assert.equal(a.hub.stats().bus.connected, true);
    await a1.close();
  } finally {
    await a.stop();
  }
});

test('closing the hub while a connection attempt waits for a Redis that never answers AUTH abandons it at once: no socket or timer left', async () => {
  const sockets = new Set<net.Socket>();
  let asked: () => void;
  const bothAsked = new Promise<void>((resolve) => (asked = resolve));
  const mute = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.once('data', () => { // AUTH arrived; never answered
      if (sockets.size === 2) asked();
    });
  });
  mute.listen(0, '127.0.0.1');
  await once(mute, 'listening');
  try {
    const before = snapshot();
    const port = (mute.address() as net.AddressInfo).port;
    const hub = createHub({ bus: redisBus({ url: `redis://:secret@127.0.0.1:${port}`, connectTimeout: 60_000, log: () => {} }) });
    await bothAsked;
    await hub.close();
    // Well under the 60 s connect timeout: only abandoning the attempt frees its sockets and timer.
    await assertWhole({ connections: 0, drained: () => Promise.resolve() }, before, 2_000);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => mute.close(r));
  }
});
