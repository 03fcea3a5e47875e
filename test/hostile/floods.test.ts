/**
 * Floods and careless peers: more connections than maxConnections (queued or
 * refused), TLS clients that never finish a handshake or vanish in it,
 * half-closes at every stage, a client that never reads its response. After
 * each, the server is whole again and still answers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tls from 'node:tls';
import { bodyFromBuffer, bodyFromGenerator, readAll } from '../../src/http/body.js';
import { createServer } from '../../src/http/server.js';
import type { Handler } from '../../src/http/types.js';
import { connect, exchange, parseResponses, readToEnd, startServer } from '../http/support.js';
import { assertWhole, snapshot, assertWholeAfterAll } from '../leaks.js';
import { hasCommands, makeSelfSignedCert, until, type TestCert } from '../support.js';

assertWholeAfterAll();

const answer: Handler = async (req, body) => {
  const n = (await readAll(body)).length;
  return { code: 200, body: bodyFromBuffer(`${req.method} ${req.path} ${n}\n`) };
};

test("2,000 connections over maxConnections 50 ('queue'): every one is answered in turn", async () => {
  const server = await startServer(answer, { maxConnections: 50 });
  const before = snapshot();
  try {
    const results: Promise<number>[] = [];
    for (let i = 0; i < 2000; i++) {
      results.push(
        exchange(server.port, `GET /${i} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`).then((b) => parseResponses(b)[0]!.status),
      );
    }
    const statuses = await Promise.all(results);
    assert.deepEqual(new Set(statuses), new Set([200]));
    await assertWhole(server, before);
  } finally {
    await server.close();
  }
});

test("over maxConnections with overload 'refuse': the extra ones are closed at once, the held ones still served", async () => {
  const server = await startServer(answer, { maxConnections: 5, overload: 'refuse' });
  const before = snapshot();
  try {
    const held: net.Socket[] = [];
    for (let i = 0; i < 5; i++) held.push(await connect(server.port));
    await until(() => server.connections === 5);
    const extra: net.Socket[] = [];
    const refused: Promise<Buffer>[] = [];
    for (let i = 0; i < 20; i++) {
      const s = await connect(server.port);
      refused.push(readToEnd(s).catch(() => Buffer.alloc(0)));
      extra.push(s);
    }
    assert.ok((await Promise.all(refused)).every((b) => b.length === 0), 'refused connections get nothing, and are closed');
    const [r] = parseResponses(await new Promise<Buffer>((resolve) => {
      const all = readToEnd(held[0]!);
      held[0]!.write('GET /held HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      void all.then(resolve);
    }));
    assert.equal(r!.status, 200);
    for (const h of held) h.destroy();
    await assertWhole(server, before);
  } finally {
    await server.close();
  }
});

for (const [stage, bytes, status] of [
  ['after a whole request', 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 200],
  ['mid-head', 'GET / HTTP/1.1\r\nHost: a\r\n', 400],
  ['mid-body', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc', 400],
  ['mid-chunk', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab', 400],
] as const) {
  test(`a client that half-closes ${stage} gets ${status}, then the close`, async () => {
    const server = await startServer(answer);
    const before = snapshot();
    try {
      const [r] = parseResponses(await exchange(server.port, bytes, true));
      assert.equal(r!.status, status);
      await assertWhole(server, before);
    } finally {
      await server.close();
    }
  });
}

test('a client that never reads a streamed response is cut at sendTimeout; the body is closed', async () => {
  let closed!: () => void;
  const bodyClosed = new Promise<void>((r) => (closed = r));
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const server = await startServer(
    () => ({
      code: 200,
      body: bodyFromGenerator(
        (async function* () {
          try {
            for (;;) yield chunk;
          } finally {
            closed();
          }
        })(),
      ),
    }),
    { sendTimeout: 300 },
  );
  const before = snapshot();
  try {
    const s = await connect(server.port);
    s.on('error', () => {});
    s.pause(); // never reads
    s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await bodyClosed;
    s.destroy();
    await assertWhole(server, before);
  } finally {
    await server.close();
  }
});

const hasOpenssl = hasCommands('openssl');
let dir: string;
let cert: TestCert;
before(() => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), 'weft-floods-'));
  cert = makeSelfSignedCert(dir);
});
after(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('TLS: 200 clients that never finish a handshake are dropped at the handshake timeout; others are served', { skip: !hasOpenssl && 'openssl missing' }, async () => {
  const s = createServer(answer, { headersTimeout: 300, onError: () => {} });
  await s.listen({ port: 0, tls: { cert: cert.cert, key: cert.key } });
  const before = snapshot();
  try {
    const silent: Promise<Buffer>[] = [];
    for (let i = 0; i < 200; i++) silent.push(readToEnd(await connect(s.port)).catch(() => Buffer.alloc(0))); // TCP only, no ClientHello
    const halfHello: net.Socket[] = [];
    const halfDone: Promise<Buffer>[] = [];
    for (let i = 0; i < 20; i++) {
      const h = await connect(s.port);
      halfDone.push(readToEnd(h).catch(() => Buffer.alloc(0)));
      h.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // the start of a ClientHello, then nothing
      halfHello.push(h);
    }
    for (const h of halfHello.slice(0, 10)) h.resetAndDestroy(); // some vanish mid-handshake
    // A real client is served meanwhile.
    const ok = await new Promise<string>((resolve, reject) => {
      const c = tls.connect({ port: s.port, host: '127.0.0.1', ca: cert.cert, servername: 'localhost' }, () => {
        c.end('GET /tls HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      });
      let text = '';
      c.on('data', (d: Buffer) => (text += d.toString()));
      c.on('end', () => resolve(text));
      c.on('error', reject);
    });
    assert.match(ok, /^HTTP\/1\.1 200 [\s\S]*GET \/tls 0/);
    // Every silent client is dropped by the server, not by us.
    await Promise.all([...silent, ...halfDone]);
    await assertWhole(s, before);
  } finally {
    await s.close();
  }
});

test('attackers outnumbering the slots and reconnecting as fast as they are cut cannot keep a fresh client out', { timeout: 30_000 }, async () => {
  const server = await startServer(answer, { maxConnections: 40, headersTimeout: 60_000, bodyTimeout: 60_000, minBodyRate: 0 });
  const before = snapshot();
  let attacking = true;
  const attackers: Promise<void>[] = [];
  /** One attacker: a head that never ends, a line every 100 ms; reconnects when cut. */
  const attack = async (): Promise<void> => {
    while (attacking) {
      const s = await connect(server.port).catch(() => null);
      if (s === null) continue;
      s.on('error', () => {});
      const closed = new Promise<void>((r) => s.once('close', () => r()));
      s.write('GET / HTTP/1.1\r\n');
      while (attacking && !s.destroyed) {
        s.write('X-A: b\r\n');
        await Promise.race([closed, new Promise((r) => setTimeout(r, 100))]); // pacing the attacker
      }
      s.destroy();
      await closed;
    }
  };
  try {
    for (let i = 0; i < 60; i++) attackers.push(attack());
    await until(() => server.connections === 40 && server.queued > 0);
    for (let i = 0; i < 3; i++) {
      const [r] = parseResponses(await exchange(server.port, `GET /probe${i} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`));
      assert.equal(r!.status, 200, 'the fresh client is served');
    }
  } finally {
    attacking = false;
    await Promise.all(attackers);
  }
  await assertWhole(server, before);
  await server.close();
});
