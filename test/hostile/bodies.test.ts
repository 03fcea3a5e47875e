/**
 * Request bodies from hostile or careless clients: malformed framing read by
 * a streaming response, bodies too slow, requests that never end, and
 * `Expect: 100-continue` with a body already on its way. A client's mistake
 * gets its own status and a closed connection, is never reported to onError
 * and never makes a 500; a 100 never lands inside a response.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { echo } from '../../src/app/demo.js';
import { router } from '../../src/app/router.js';
import { readAll } from '../../src/http/body.js';
import type { ServerOptions } from '../../src/http/server.js';
import type { Handler } from '../../src/http/types.js';
import { connect, parseResponses, readToEnd, startServer } from '../http/support.js';
import { assertWhole, snapshot, assertWholeAfterAll } from '../leaks.js';

assertWholeAfterAll();

/** A server whose onError calls are recorded: a client's mistake must leave it empty. */
async function withServer(handler: Handler, options: ServerOptions, run: (port: number) => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  const server = await startServer(handler, { ...options, onError: (err) => errors.push(err) });
  const before = snapshot();
  try {
    await run(server.port);
    await assertWhole(server, before);
  } finally {
    await server.close();
  }
  return errors;
}

const app = router()
  .post('/echo', echo)
  .post('/read', async (_req, body) => {
    const n = (await readAll(body, 1 << 30)).length;
    return { code: 200, body: { length: String(n).length, bytes: Buffer.from(String(n)), read: async () => Buffer.alloc(0) } };
  });

const chunkedHead = (path: string): string => `POST ${path} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n`;

const badChunks: [string, string, number][] = [
  ['a negative size', '-1\r\nx\r\n0\r\n\r\n', 400],
  ['a 0x prefix', '0x5\r\nhello\r\n0\r\n\r\n', 400],
  ['a NUL in an extension', '5;\x00\r\nhello\r\n0\r\n\r\n', 400],
  ['an overflowing size', 'fffffffffffffffffff\r\nx\r\n0\r\n\r\n', 400],
  ['a 64 KiB extension', `5;${'a'.repeat(64 * 1024)}\r\nhello\r\n0\r\n\r\n`, 400],
  ['chunk data without CRLF', '5\r\nhelloXX0\r\n\r\n', 400],
  ['Content-Length in the trailers', '5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n', 400],
];

for (const path of ['/echo', '/read']) {
  for (const [what, body, status] of badChunks) {
    test(`${path}: a chunked body with ${what} → ${status}, closed, not an application error`, async () => {
      const errors = await withServer(app, {}, async (port) => {
        const s = await connect(port);
        const all = readToEnd(s);
        s.write(chunkedHead(path) + body);
        const data = await all;
        if (path === '/echo' && /^5\r\nhello/.test(body)) {
          // Good data came first: the echo had begun, so it is cut instead.
          assert.ok(!data.toString('latin1').endsWith('0\r\n\r\n'));
          return;
        }
        const responses = parseResponses(data);
        assert.equal(responses.length, 1);
        assert.equal(responses[0]!.status, status);
        assert.equal(responses[0]!.headers['connection'], 'close');
      });
      assert.deepEqual(errors, [], 'onError is for the application');
    });
  }
}

test('/echo: a malformed chunk after the response began → the response is cut, never completed', async () => {
  for (const [, body] of badChunks.slice(0, 5)) {
    const errors = await withServer(app, {}, async (port) => {
      const s = await connect(port);
      const all = readToEnd(s);
      s.write(chunkedHead('/echo') + '3\r\nabc\r\n' + body);
      const text = (await all).toString('latin1');
      assert.match(text, /^HTTP\/1\.1 200 /);
      assert.ok(!text.endsWith('0\r\n\r\n'), 'the chunked response has no last chunk');
    });
    assert.deepEqual(errors, []);
  }
});

test('/echo: a body that ends early (client half-closes) → 400, not an application error', async () => {
  const errors = await withServer(app, {}, async (port) => {
    const s = await connect(port);
    const all = readToEnd(s);
    s.end('POST /read HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc');
    const [r] = parseResponses(await all);
    assert.equal(r!.status, 400);
  });
  assert.deepEqual(errors, []);
});

/**
 * Sends `head`, then one byte every `everyMs` until the server answers or
 * closes; resolves with what arrived. A reset after the server's answer (the
 * attacker kept writing) does not lose what came before it.
 */
async function trickle(port: number, head: string, everyMs: number): Promise<Buffer> {
  const s = await connect(port);
  const parts: Buffer[] = [];
  let done = false;
  s.on('data', (d: Buffer) => parts.push(d));
  s.on('error', () => {});
  s.on('end', () => (done = true));
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  s.write(head);
  while (!done && !s.destroyed) {
    await new Promise((r) => setTimeout(r, everyMs)); // pacing the attacker, not synchronising
    if (!done && !s.destroyed) s.write('x');
  }
  s.destroy();
  await closed;
  return Buffer.concat(parts);
}

test('a body slower than minBodyRate → 408 and close, after the grace period', async () => {
  const errors = await withServer(app, { minBodyRate: 1000, minBodyRateGrace: 300, bodyTimeout: 60_000 }, async (port) => {
    const [r] = parseResponses(await trickle(port, 'POST /read HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n', 20));
    assert.equal(r!.status, 408);
    assert.equal(r!.headers['connection'], 'close');
  });
  assert.deepEqual(errors, []);
});

test('a streamed echo whose request body is too slow is cut, not completed', async () => {
  const errors = await withServer(app, { minBodyRate: 1000, minBodyRateGrace: 300, bodyTimeout: 60_000 }, async (port) => {
    const text = (await trickle(port, 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nfirst', 20)).toString('latin1');
    assert.ok(text.startsWith('HTTP/1.1 200 ') || text.startsWith('HTTP/1.1 408 '), text.slice(0, 40));
    // Either the 408 came before any echo, or the echo began and was cut: never a whole 100,000-byte answer.
    const bodyBytes = text.length - (text.indexOf('\r\n\r\n') + 4);
    if (text.startsWith('HTTP/1.1 200 ')) {
      assert.ok(bodyBytes < 100_000, `the echo was cut (${bodyBytes} bytes)`);
      // What could fail: a chunked echo finished as if whole (the last chunk sent after the 408 decision).
      assert.ok(!text.endsWith('\r\n0\r\n\r\n'), 'no last chunk: the response is visibly incomplete');
    }
    else assert.match(text, /\r\nconnection: close\r\n/i);
  });
  assert.deepEqual(errors, []);
});

test('a request that never ends → 408 at requestTimeout, even at a good rate', async () => {
  const errors = await withServer(app, { requestTimeout: 400, minBodyRate: 1, minBodyRateGrace: 0 }, async (port) => {
    const [r] = parseResponses(await trickle(port, 'POST /read HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', 10).then((b) => b));
    assert.equal(r!.status, 408);
  });
  assert.deepEqual(errors, []);
});

test('time the application spends before reading does not count against the client', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slowApp: Handler = async (_req, body) => {
    await gate; // the application is busy; the client has sent everything
    const n = (await readAll(body)).length;
    return { code: 200, body: { length: String(n).length, bytes: Buffer.from(String(n)), read: async () => Buffer.alloc(0) } };
  };
  await withServer(slowApp, { minBodyRate: 1_000_000, minBodyRateGrace: 50 }, async (port) => {
    const s = await connect(port);
    const all = readToEnd(s);
    s.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    setTimeout(release, 300); // the application's delay, not a synchronisation
    const [r] = parseResponses(await all);
    assert.equal(r!.status, 200);
    assert.equal(r!.body.toString(), '5');
  });
});

test('Expect: 100-continue with the body already arriving: no 100 inside the response', async () => {
  await withServer(app, {}, async (port) => {
    const s: Socket = await connect(port);
    const all = readToEnd(s);
    s.write('POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\na');
    await new Promise((r) => setTimeout(r, 300)); // the rest comes later, as in the report
    s.write('bc');
    const text = (await all).toString('latin1');
    assert.ok(!text.includes('100 Continue'), text);
    const [r] = parseResponses(Buffer.from(text, 'latin1'));
    assert.equal(r!.status, 200);
    assert.equal(r!.body.toString(), 'abc');
  });
});

test('Expect: 100-continue and nothing sent: the 100 comes before the response, once', async () => {
  await withServer(app, {}, async (port) => {
    const s = await connect(port);
    const all = readToEnd(s);
    let sent = false;
    s.on('data', (d: Buffer) => {
      if (!sent && d.toString('latin1').startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        sent = true;
        s.write('abc');
      }
    });
    s.write('POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\n');
    const text = (await all).toString('latin1');
    assert.equal(text.split('100 Continue').length, 2);
    const [r] = parseResponses(Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1'));
    assert.equal(r!.body.toString(), 'abc');
  });
});
