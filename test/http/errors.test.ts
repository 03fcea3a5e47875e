/**
 * Bad input over real sockets: each case gets its precise status, then the
 * server closes the connection (the client sees the end of the stream).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readAll } from '../../src/http/body.js';
import { HTTPError } from '../../src/http/errors.js';
import type { Server } from '../../src/http/server.js';
import { exchange, parseResponses, startServer } from './support.js';

let server: Server;
before(async () => {
  server = await startServer(
    async (req, body) => {
      if (req.path === '/throw') throw new Error('boom');
      if (req.path === '/teapot') throw new HTTPError(418, 'short and stout');
      const data = await readAll(body);
      return { code: 200, body: { length: data.length, bytes: data, read: async () => data } };
    },
    { maxBodySize: 1000, maxRequestLine: 1024, maxHeadSize: 4096, maxHeaderCount: 20 },
  );
});
after(() => server.close());

/** Sends `request`, expects exactly one response with `code`, and the connection closed. */
async function expectClose(request: string | Buffer, code: number): Promise<void> {
  const all = await exchange(server.port, request); // resolves only once the server closed
  const [res, ...rest] = parseResponses(all);
  assert.equal(res!.status, code, all.toString('latin1').slice(0, 300));
  assert.equal(res!.headers['connection'], 'close');
  assert.equal(rest.length, 0);
}

const cases: [string, string, number][] = [
  ['garbage', 'hello there\r\n\r\n', 400],
  ['unsupported version', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505],
  ['missing Host', 'GET / HTTP/1.1\r\n\r\n', 400],
  ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n', 400],
  ['space before colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', 400],
  ['bare LF line ends', 'GET / HTTP/1.1\nHost: a\n\n', 400],
  ['bare LF after a CRLF line', 'GET / HTTP/1.1\r\nHost: a\n\r\n\r\n', 400],
  ['bare CR', 'GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n', 400],
  ['NUL in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n', 400],
  ['TE and CL together', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['TE on HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['unknown transfer coding', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
  ['TE without chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n', 400],
  ['conflicting Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400],
  ['negative Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', 400],
  ['CONNECT not handled', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501],
  ['unknown expectation', 'POST / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\nContent-Length: 1\r\n\r\nx', 417],
  ['body over the limit (declared)', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n', 413],
  ['chunked body over the limit', `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n${'x'.repeat(1001)}\r\n0\r\n\r\n`, 413],
  ['chunk size not hex', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
  ['chunk size with sign', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n', 400],
  ['chunk size with 0x', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n', 400],
  ['chunk size overflow', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n', 400],
  ['chunk data without CRLF', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n', 400],
  ['chunk size line with bare LF', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n', 400],
  ['bad chunk extension', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a b\r\nhello\r\n0\r\n\r\n', 400],
  ['over-long chunk extension', `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=${'b'.repeat(5000)}\r\nhello\r\n0\r\n\r\n`, 400],
  ['bad trailer field', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n', 400],
];
for (const [name, request, code] of cases) {
  test(`${name} → ${code} and close`, () => expectClose(request, code));
}

test('request line over the limit → 414, even before the line ends', async () => {
  await expectClose(`GET /${'a'.repeat(2000)}`, 414);
  await expectClose(`GET /${'a'.repeat(2000)} HTTP/1.1\r\nHost: a\r\n\r\n`, 414);
});

test('head over the limit → 431, even before the head ends', async () => {
  await expectClose(`GET / HTTP/1.1\r\nHost: a\r\nX: ${'b'.repeat(5000)}`, 431);
  await expectClose(`GET / HTTP/1.1\r\nHost: a\r\nX: ${'b'.repeat(5000)}\r\n\r\n`, 431);
});

test('too many header fields → 431', async () => {
  const fields = Array.from({ length: 21 }, (_, i) => `X-${i}: v\r\n`).join('');
  await expectClose(`GET / HTTP/1.1\r\nHost: a\r\n${fields}\r\n`, 431);
});

test('a request head cut short by EOF → 400', async () => {
  const all = await exchange(server.port, 'GET / HTTP/1.1\r\nHost: a\r\n', true);
  assert.equal(parseResponses(all)[0]!.status, 400);
});

test('a body cut short by EOF: nothing is answered and the connection ends', async () => {
  const all = await exchange(server.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc', true);
  // The client is gone by definition; a 400 may or may not be written, never a 200.
  for (const r of parseResponses(all)) assert.notEqual(r.status, 200);
});

test('application exceptions become 500; HTTPErrors keep their status; both keep the connection', async () => {
  const all = await exchange(
    server.port,
    'GET /throw HTTP/1.1\r\nHost: a\r\n\r\nGET /teapot HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );
  const [a, b, c] = parseResponses(all);
  assert.equal(a!.status, 500);
  assert.equal(a!.body.toString(), 'Internal Server Error\n'); // no details leak
  assert.equal(b!.status, 418);
  assert.equal(b!.body.toString(), 'short and stout\n');
  assert.equal(c!.status, 200);
});

test('random garbage never crashes the server', async () => {
  for (let i = 0; i < 50; i++) {
    const junk = Buffer.from(Array.from({ length: 200 }, (_, j) => (i * 31 + j * 17) % 256));
    const all = await exchange(server.port, Buffer.concat([junk, Buffer.from('\r\n\r\n')]));
    const [res] = parseResponses(all);
    assert.ok(res!.status >= 400 && res!.status < 600);
  }
  const ok = parseResponses(await exchange(server.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'));
  assert.equal(ok[0]!.status, 200);
});
