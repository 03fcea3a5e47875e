import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { addDemoRoutes } from '../../src/app/demo.js';
import { router } from '../../src/app/router.js';
import { readAll } from '../../src/http/body.js';
import type { Server } from '../../src/http/server.js';
import { closed, connect, exchange, parseResponses, startServer } from './support.js';

/** Most bytes the kernel may hold in flight on a loopback connection, both ways. */
function kernelBufferBound(): number {
  const max = (f: string) => Number(readFileSync(f, 'utf8').trim().split(/\s+/)[2]);
  return 2 * (max('/proc/sys/net/ipv4/tcp_rmem') + max('/proc/sys/net/ipv4/tcp_wmem'));
}

let demo: Server;
before(async () => {
  demo = await startServer(addDemoRoutes(router()));
});
after(() => demo.close());

test('a 100 MiB chunked upload to /echo comes back identical, in bounded memory', { timeout: 120_000 }, async () => {
  const total = 100 * 1024 * 1024;
  const block = Buffer.alloc(256 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 7 + 13) & 0xff;
  const s = await connect(demo.port);
  const sentHash = createHash('sha1');
  const gotHash = createHash('sha1');
  let headDone = false;
  let pending: Buffer = Buffer.alloc(0);
  let received = 0;
  let sent = 0;
  let maxAhead = 0;
  // Decode the chunked response incrementally, hashing as we go.
  let chunkLeft = 0;
  let finished: () => void;
  const done = new Promise<void>((r) => (finished = r));
  s.on('data', (d: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    if (!headDone) {
      const e = pending.indexOf('\r\n\r\n');
      if (e < 0) return;
      assert.match(pending.toString('latin1', 0, e), /^HTTP\/1\.1 200 OK[\s\S]*Transfer-Encoding: chunked/);
      pending = pending.subarray(e + 4);
      headDone = true;
    }
    for (;;) {
      if (chunkLeft > 0) {
        const n = Math.min(chunkLeft, pending.length);
        gotHash.update(pending.subarray(0, n));
        received += n;
        chunkLeft -= n;
        pending = pending.subarray(n);
        if (chunkLeft > 0) return;
        if (pending.length < 2) return void (chunkLeft = -2);
        pending = pending.subarray(2);
      }
      if (chunkLeft === -2) {
        if (pending.length < 2) return;
        pending = pending.subarray(2);
        chunkLeft = 0;
      }
      const le = pending.indexOf('\r\n');
      if (le < 0) return;
      const size = parseInt(pending.toString('latin1', 0, le), 16);
      pending = pending.subarray(le + 2);
      if (size === 0) return finished();
      chunkLeft = size;
    }
  });
  s.write('POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-test\r\n\r\n');
  for (; sent < total; sent += block.length) {
    maxAhead = Math.max(maxAhead, sent - received);
    sentHash.update(block);
    s.write(`${block.length.toString(16)}\r\n`);
    s.write(block);
    if (!s.write('\r\n')) await new Promise((r) => s.once('drain', r));
  }
  s.write('0\r\n\r\n');
  await done;
  s.destroy();
  assert.equal(received, total);
  assert.equal(gotHash.digest('hex'), sentHash.digest('hex'));
  // The client can only run ahead of the echo by what the kernel's socket
  // buffers and the server's bounded buffers hold; a server that buffered
  // the body would let it run 100 MiB ahead.
  const bound = kernelBufferBound() + 4 * 1024 * 1024;
  assert.ok(maxAhead < Math.min(bound, total / 2), `ran ${maxAhead} bytes ahead (bound ${bound})`);
});

test('Expect: 100-continue: 100 is sent when the handler starts reading', async () => {
  const s = await connect(demo.port);
  const chunks: Buffer[] = [];
  let got100: () => void;
  const saw100 = new Promise<void>((r) => (got100 = r));
  s.on('data', (d: Buffer) => {
    chunks.push(d);
    if (Buffer.concat(chunks).includes('100 Continue\r\n\r\n')) got100();
  });
  s.write('POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
  await saw100;
  s.write('hello');
  await closed(s);
  const text = Buffer.concat(chunks).toString();
  assert.ok(text.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n'), text);
  assert.ok(text.endsWith('\r\n\r\nhello'));
});

test('Expect: 100-continue answered without reading: no 100, and the connection closes', async () => {
  const s = await startServer(() => ({ code: 401 }));
  try {
    const all = await exchange(s.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    assert.ok(!all.includes('100 Continue'));
    const [r] = parseResponses(all);
    assert.equal(r!.status, 401);
    assert.equal(r!.headers['connection'], 'close');
  } finally {
    await s.close();
  }
});

test('an unread body is drained so the connection serves the next request', async () => {
  const s = await startServer((req) => ({ code: 200, body: { length: 1, bytes: Buffer.from(req.method[0]!), read: async () => Buffer.alloc(0) } }));
  try {
    const big = 'x'.repeat(100_000);
    const chunked = `${(100_000).toString(16)}\r\n${big}\r\n0\r\n\r\n`;
    const all = await exchange(
      s.port,
      `PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n${big}` +
        `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}` +
        'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    assert.deepEqual(parseResponses(all).map((r) => r.body.toString()), ['P', 'P', 'G']);
  } finally {
    await s.close();
  }
});

test('an unread body too large to drain closes the connection after the response', async () => {
  const s = await startServer(() => ({ code: 204 }), { maxDrainSize: 1000 });
  try {
    const sock = await connect(s.port);
    const chunks: Buffer[] = [];
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', () => {});
    sock.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n' + 'x'.repeat(10_000));
    await closed(sock);
    const [r] = parseResponses(Buffer.concat(chunks));
    assert.equal(r!.status, 204);
    assert.equal(r!.headers['connection'], 'close');
  } finally {
    await s.close();
  }
});

test('draining an unread chunked body counts its framing too: extensions cannot stretch maxDrainSize', async () => {
  const s = await startServer(() => ({ code: 204 }), { maxDrainSize: 1000 });
  try {
    // 50 bytes of data in about 5 KB of chunk lines.
    const chunks = `1;e=${'a'.repeat(100)}\r\nx\r\n`.repeat(50) + '0\r\n\r\n';
    const all = await exchange(
      s.port,
      `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}` + 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    assert.deepEqual(parseResponses(all).map((r) => r.status), [204], 'closed after the first response, not drained');
  } finally {
    await s.close();
  }
});

test('a chunked body with extensions and trailers is decoded', async () => {
  const s = await startServer(async (_req, body) => {
    const data = await readAll(body);
    return { code: 200, body: { length: data.length, bytes: data, read: async () => data } };
  });
  try {
    const all = await exchange(
      s.port,
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '3;name=value;flag\r\nabc\r\n0003 ; q="quoted;\\"str"\r\ndef\r\n000\r\nX-Sum: 6\r\nX-Other: y\r\n\r\n',
    );
    assert.equal(parseResponses(all)[0]!.body.toString(), 'abcdef');
  } finally {
    await s.close();
  }
});
