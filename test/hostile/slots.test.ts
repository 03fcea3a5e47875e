/**
 * Connection slots: however a socket ends (reset while queued over
 * maxConnections, reset mid-head, mid-body, mid-response, closed during a
 * TLS handshake), its slot is released and the server keeps answering.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type * as net from 'node:net';
import { test } from 'node:test';
import { readAll } from '../../src/http/body.js';
import { connect, parseResponses, readToEnd, startServer } from '../http/support.js';
import { assertWhole, snapshot, assertWholeAfterAll } from '../leaks.js';
import { until } from '../support.js';

assertWholeAfterAll();

const hello = (): { code: number; body: { length: number; bytes: Buffer; read: () => Promise<Buffer> } } => {
  const bytes = Buffer.from('hello\n');
  return { code: 200, body: { length: bytes.length, bytes, read: async () => bytes } };
};

/** One GET on a fresh connection; resolves with the status. */
async function probe(port: number): Promise<number> {
  const s = await connect(port);
  const all = readToEnd(s);
  s.end('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  const [r] = parseResponses(await all);
  return r!.status;
}

/** Resolves once `cond` holds (checked every few ms; the test's timeout bounds it). */
const untilConnections = (server: { connections: number }, n: number): Promise<void> => until(() => server.connections === n);

test('connections reset while queued over maxConnections release their slots', async () => {
  const server = await startServer(hello, { maxConnections: 5, headersTimeout: 60_000 });
  const before = snapshot();
  try {
    // Five holders, each in the middle of a head.
    const holders: net.Socket[] = [];
    for (let i = 0; i < 5; i++) {
      const h = await connect(server.port);
      h.on('error', () => {});
      h.write('GET / HTTP/1.1\r\n');
      holders.push(h);
    }
    await untilConnections(server, 5);
    // Three more wait in the queue, then reset.
    const queued: net.Socket[] = [];
    for (let i = 0; i < 3; i++) queued.push(await connect(server.port));
    await until(() => server.queued === 3);
    for (const q of queued) q.resetAndDestroy();
    await until(() => server.queued === 0); // the queue forgets them
    // Release the holders: their slots, and nobody else's, come back.
    for (const h of holders) h.destroy();
    await until(() => server.connections === 0);
    assert.equal(await probe(server.port), 200, 'the server answers again');
    await assertWhole(server, before);
  } finally {
    await server.close();
  }
});

test('a queued connection not served within headersTimeout is closed', async () => {
  const server = await startServer(hello, { maxConnections: 1, headersTimeout: 200, idleTimeout: 60_000 });
  try {
    const holder = await connect(server.port); // holds the only slot, idle
    await untilConnections(server, 1);
    const queued = await connect(server.port);
    queued.on('error', () => {});
    const ended = await Promise.race([once(queued, 'close').then(() => 'closed'), once(holder, 'close').then(() => 'holder')]);
    assert.equal(ended, 'closed');
    holder.destroy();
  } finally {
    await server.close();
  }
});

for (const stage of ['mid-head', 'mid-body', 'mid-response'] as const) {
  test(`a reset ${stage} releases the slot, the read and the handler`, async () => {
    let handlerStarted!: () => void;
    const started = new Promise<void>((r) => (handlerStarted = r));
    let handlerDone!: () => void;
    const handled = new Promise<void>((r) => (handlerDone = r));
    const server = await startServer(
      async (req, body) => {
        handlerStarted();
        try {
          if (req.path === '/body') await readAll(body);
          if (req.path === '/response') {
            return {
              code: 200,
              body: {
                length: -1,
                read: async () => Buffer.alloc(64 * 1024, 0x61), // endless: the client never reads
              },
            };
          }
          return hello();
        } finally {
          handlerDone();
        }
      },
      { headersTimeout: 60_000, bodyTimeout: 60_000, minBodyRate: 0 },
    );
    const before = snapshot();
    try {
      const s = await connect(server.port);
      s.on('error', () => {});
      if (stage === 'mid-head') s.write('GET / HTTP/1.1\r\nHost: a\r\n');
      if (stage === 'mid-body') s.write('POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nabc');
      if (stage === 'mid-response') {
        s.pause();
        s.write('GET /response HTTP/1.1\r\nHost: a\r\n\r\n');
      }
      await untilConnections(server, 1);
      if (stage !== 'mid-head') await started;
      s.resetAndDestroy();
      if (stage !== 'mid-head') await handled; // the handler's wait ended too
      await assertWhole(server, before);
      assert.equal(await probe(server.port), 200);
    } finally {
      await server.close();
    }
  });
}

test('a reset while a body is produced without waiting is the client’s doing, not the application’s error', async () => {
  // Chunks ready at once (a file read on the event loop) and a kernel that
  // takes every write: the writer never yields, so the reset shows first as
  // a socket no longer writable, before Node destroys it.
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const errors: unknown[] = [];
  let aborted = 0;
  const server = await startServer(() => ({ code: 200, body: { length: -1, read: () => Promise.resolve(chunk) } }), {
    onError: (err) => errors.push(err),
    onResponse: (info) => {
      if (info.aborted) aborted++;
    },
  });
  const before = snapshot();
  try {
    for (let i = 0; i < 5; i++) {
      const s = await connect(server.port);
      s.on('error', () => {});
      let got = 0;
      const reset = new Promise<void>((resolve) => {
        s.on('data', (d: Buffer) => {
          got += d.length;
          // First a FIN, as wrk sends when it stops, then gone: the server's
          // next writes fail at once.
          if (got >= 1024 * 1024 && !s.writableEnded) s.end();
          else if (got >= 2 * 1024 * 1024 && !s.destroyed) {
            s.destroy();
            resolve();
          }
        });
      });
      s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      await reset;
      await until(() => aborted === i + 1);
    }
    await assertWhole(server, before);
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});
