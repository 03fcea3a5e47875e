/**
 * Timeouts and limits, with short configured values: each test waits for the
 * server's own action (a response, a close), never for a fixed time.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { readAll } from '../../src/http/body.js';
import { bodyFromGenerator } from '../../src/http/body.js';
import { closed, connect, parseResponses, readToEnd, startServer } from './support.js';
import { readUntilClosed } from '../support.js';

/**
 * Writes `piece(i)` every 20 ms, at most `count` times, until the server
 * ends the connection (`all` settles); true when it did.
 */
async function trickle(sock: Socket, all: Promise<unknown>, count: number, piece: (i: number) => string): Promise<boolean> {
  let stop = false;
  void all.finally(() => (stop = true));
  for (let i = 0; !stop && i < count; i++) {
    sock.write(piece(i));
    await new Promise((r) => setTimeout(r, 20)); // pacing the attacker, not synchronising
  }
  return stop;
}

test('a head that does not complete in time → 408 and close (slowloris)', async () => {
  const s = await startServer(() => ({ code: 200 }), { headersTimeout: 150 });
  try {
    const sock = await connect(s.port);
    const all = readToEnd(sock);
    sock.write('GET / HTTP/1.1\r\nHost: a\r\n'); // ...and nothing more
    const [r] = parseResponses(await all);
    assert.equal(r!.status, 408);
    assert.equal(r!.headers['connection'], 'close');
  } finally {
    await s.close();
  }
});

test('trickling bytes does not extend the head deadline', async () => {
  const s = await startServer(() => ({ code: 200 }), { headersTimeout: 200, idleTimeout: 10_000 });
  try {
    const sock = await connect(s.port);
    const all = readToEnd(sock);
    sock.write('GET / HTTP/1.1\r\n');
    await trickle(sock, all, 1000, (i) => 'X-A: b\r\n'.slice(0, 1 + (i % 3)));
    const [r] = parseResponses(await all);
    assert.equal(r!.status, 408);
  } finally {
    await s.close();
  }
});

test('an idle keep-alive connection is closed silently', async () => {
  const s = await startServer(() => ({ code: 204 }), { idleTimeout: 100 });
  try {
    const sock = await connect(s.port);
    const all = readToEnd(sock);
    sock.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const res = parseResponses(await all); // ends when the server closes the idle connection
    assert.equal(res.length, 1);
    assert.equal(res[0]!.status, 204);
  } finally {
    await s.close();
  }
});

test('empty lines, even split between reads, do not extend the idle timeout', async () => {
  const s = await startServer(() => ({ code: 204 }), { idleTimeout: 200, headersTimeout: 60_000 });
  try {
    const sock = await connect(s.port);
    const all = readUntilClosed(sock);
    // CR and LF in turn: RFC 9112 §2.2 lets a server ignore empty lines, not wait on them for ever.
    assert.ok(await trickle(sock, all, 250, (i) => (i % 2 === 0 ? '\r' : '\n')), 'the server closed the connection');
    assert.equal((await all).length, 0, 'silently');
  } finally {
    await s.close();
  }
});

test('a lone CR after a response waits on the idle timeout', async () => {
  const s = await startServer(() => ({ code: 204 }), { idleTimeout: 100, headersTimeout: 60_000 });
  try {
    const sock = await connect(s.port);
    const all = readToEnd(sock);
    sock.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n\r');
    const res = parseResponses(await all); // ends when the server closes the idle connection
    assert.deepEqual(res.map((r) => r.status), [204]);
  } finally {
    await s.close();
  }
});

test('a connection that never sends anything is closed after the idle timeout', async () => {
  const s = await startServer(() => ({ code: 204 }), { idleTimeout: 100 });
  try {
    const sock = await connect(s.port);
    const all = readToEnd(sock);
    assert.equal((await all).length, 0);
  } finally {
    await s.close();
  }
});

test('a body that stalls is aborted with 408', async () => {
  const s = await startServer(async (_req, body) => ({ code: 200, body: { length: 1, bytes: Buffer.from(String((await readAll(body)).length)), read: async () => Buffer.alloc(0) } }), {
    bodyTimeout: 150,
  });
  try {
    const sock = await connect(s.port);
    const all = readToEnd(sock);
    sock.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly some');
    const [r] = parseResponses(await all);
    assert.equal(r!.status, 408);
  } finally {
    await s.close();
  }
});

test('a client that stops reading a response is cut off after the send timeout', async () => {
  let closedBody!: () => void;
  const bodyClosed = new Promise<void>((r) => (closedBody = r));
  const chunk = Buffer.alloc(256 * 1024, 1);
  const s = await startServer(
    () => ({
      code: 200,
      body: { length: -1, read: async () => chunk, close: () => closedBody() },
    }),
    { sendTimeout: 200 },
  );
  try {
    const sock = await connect(s.port);
    sock.on('error', () => {});
    sock.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    sock.pause(); // never reads: the server's writes stall
    await bodyClosed; // the server gave up on the response and released its body
    sock.destroy();
  } finally {
    await s.close();
  }
});

test('maxConnections with overload=refuse closes extra connections at once', async () => {
  const s = await startServer(() => ({ code: 204 }), { maxConnections: 2, overload: 'refuse', idleTimeout: 60_000 });
  try {
    const a = await connect(s.port);
    const b = await connect(s.port);
    // Make sure both are being served before the third arrives.
    for (const c of [a, b]) {
      const got = new Promise((r) => c.once('data', r));
      c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      await got;
    }
    const c = await connect(s.port);
    c.resume();
    await closed(c);
    assert.equal(s.connections, 2);
    a.destroy();
    b.destroy();
  } finally {
    await s.close();
  }
});

test('maxConnections with overload=queue serves the extra connection once a slot frees', async () => {
  const s = await startServer(() => ({ code: 204 }), { maxConnections: 1, idleTimeout: 60_000 });
  try {
    const a = await connect(s.port);
    const gotA = new Promise((r) => a.once('data', r));
    a.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await gotA;
    const b = await connect(s.port);
    const all = readToEnd(b);
    b.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    a.destroy(); // frees the slot; b is accepted and answered
    const [r] = parseResponses(await all);
    assert.equal(r!.status, 204);
  } finally {
    await s.close();
  }
});

test('graceful shutdown: idle connections close, an in-flight response completes with Connection: close', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const inFlight = new Promise<void>((r) => (started = r));
  const s = await startServer((req) => {
    if (req.path === '/slow') {
      started();
      return { code: 200, body: bodyFromGenerator((async function* () { yield 'part1 '; await gate; yield 'part2'; })()) };
    }
    return { code: 204 };
  });
  const idle = await connect(s.port);
  const idleAll = readToEnd(idle);
  const gotIdle = new Promise((r) => idle.once('data', r));
  idle.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await gotIdle;

  const busy = await connect(s.port);
  const busyAll = readToEnd(busy);
  busy.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
  await inFlight;

  const closing = s.close({ timeout: 10_000 });
  await idleAll; // the idle connection is closed at once
  const port = s.port;
  await assert.rejects(connect(port)); // no longer accepting
  release();
  await closing;
  const [r] = parseResponses(await busyAll);
  assert.equal(r!.body.toString(), 'part1 part2');
});

test('graceful shutdown: a request that outlives the deadline is cut', async () => {
  let started!: () => void;
  const inFlight = new Promise<void>((r) => (started = r));
  const s = await startServer(() => {
    started();
    return { code: 200, body: bodyFromGenerator((async function* () { yield 'a'; await new Promise(() => {}); })()) };
  });
  const sock = await connect(s.port);
  const all = readToEnd(sock);
  sock.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await inFlight;
  await s.close({ timeout: 100 });
  await all;
  assert.equal(s.connections, 0);
});
