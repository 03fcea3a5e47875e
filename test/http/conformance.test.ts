/**
 * Conformance cases from public suites (llhttp's fixtures, Http11Probe,
 * Apache's strict mode), over raw sockets at default limits: unknown methods
 * are 501 and a known one not allowed is 405; a method longer than any known
 * fails before its line ends; IP literals are checked by their grammar; a
 * bare CR fails as soon as it is seen; a GET whose unread body is malformed
 * is answered, then closed, however the bytes are split.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { router } from '../../src/app/router.js';
import { bodyFromBuffer } from '../../src/http/body.js';
import type { Server } from '../../src/http/server.js';
import { serveStatic } from '../../src/static/serve-static.js';
import { connect, exchange, parseResponses, readToEnd, startServer } from './support.js';

let server: Server;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-conf-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello\n');
  const app = router(serveStatic(dir)).get('/api', () => ({ code: 200, body: bodyFromBuffer('api\n') }));
  server = await startServer(app);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends `requests` on one connection, ending with a GET that closes; returns the responses. */
async function onOneConnection(request: string): Promise<ReturnType<typeof parseResponses>> {
  const data = await exchange(server.port, request + 'GET /api HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  return parseResponses(data);
}

for (const [line, what] of [
  ['MKCOLA /api', 'an unknown method on a route'],
  ['MKCOLA /hello.txt', 'an unknown method on a file'],
  ['get /api', 'a lower-case method (methods are case-sensitive)'],
  ['XGET /hello.txt', 'an unknown method on a file'],
]) {
  test(`${what} → 501, and the connection stays open`, async () => {
    const [r, next] = await onOneConnection(`${line} HTTP/1.1\r\nHost: a\r\n\r\n`);
    assert.equal(r!.status, 501);
    assert.notEqual(r!.headers['connection'], 'close');
    assert.equal(next!.status, 200);
  });
}

for (const path of ['/api', '/hello.txt']) {
  test(`a known method the resource does not allow (${path}) → 405 with Allow`, async () => {
    const [r, next] = await onOneConnection(`DELETE ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
    assert.equal(r!.status, 405);
    assert.match(r!.headers['allow']!, /GET/);
    assert.equal(next!.status, 200);
  });
}

test('a method longer than any known → 501 before its line ends, closed', async () => {
  const s = await connect(server.port);
  const all = readToEnd(s);
  s.write('A'.repeat(100)); // no space yet, no end of line: the server does not wait for 100 KB
  const [r] = parseResponses(await all);
  assert.equal(r!.status, 501);
  assert.equal(r!.headers['connection'], 'close');
});

test('a 100 KB method → 501, not 414', async () => {
  const [r] = parseResponses(await exchange(server.port, 'X'.repeat(100_000) + ' / HTTP/1.1\r\nHost: a\r\n\r\n'));
  assert.equal(r!.status, 501);
});

for (const [what, request, status] of [
  ['an invalid IPv6 literal in an absolute-form target', 'GET http://[4712::abcd::]/ HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['an unclosed IP literal in Host', 'GET / HTTP/1.1\r\nHost: [::1\r\n\r\n', 400],
  ['an IPv6 zone in Host', 'GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n', 400],
  ['too many groups in an IPv6 literal', 'GET / HTTP/1.1\r\nHost: [1:2:3:4:5:6:7:8:9]\r\n\r\n', 400],
  ['a bad IPvFuture', 'GET / HTTP/1.1\r\nHost: [v1.]\r\n\r\n', 400],
  ['a valid IPv6 literal with a port', 'GET /api HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n', 200],
  ['an IPv4-mapped IPv6 literal', 'GET http://[::ffff:127.0.0.1]/api HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 200],
  ['a valid IPvFuture', 'GET /api HTTP/1.1\r\nHost: [v1.fe80::a+en1]\r\nConnection: close\r\n\r\n', 200],
  ['an empty Host (a server with a default authority)', 'GET /api HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n', 200],
  ['an HTTP/0.9 request line', 'GET /\r\n\r\n', 400],
  ['an RTSP/1.0 version', 'GET / RTSP/1.0\r\nHost: a\r\n\r\n', 400],
  ['an ICE/1.0 version', 'GET / ICE/1.0\r\nHost: a\r\n\r\n', 400],
  ['a #fragment in the target', 'GET /api#x HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['userinfo in an absolute-form target', 'GET http://u@a/api HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['* with GET', 'GET * HTTP/1.1\r\nHost: a\r\n\r\n', 400],
] as const) {
  test(`${what} → ${status}`, async () => {
    const [r] = parseResponses(await exchange(server.port, request));
    assert.equal(r!.status, status);
  });
}

for (const [what, partial] of [
  ['in a field line', 'GET / HTTP/1.1\r\nHost: a\rX'],
  ['in the request line', 'GET /\rX'],
  ['before a field name', 'GET / HTTP/1.1\r\n\rHost: a'],
]) {
  test(`a bare CR ${what} of a head still arriving → 400 at once`, async () => {
    const s = await connect(server.port);
    const all = readToEnd(s);
    s.write(partial); // and nothing more: the answer must not wait for the head to end
    const [r] = parseResponses(await all);
    assert.equal(r!.status, 400);
  });
}

test('a CR at the end of what has arrived waits for its LF', async () => {
  const s = await connect(server.port);
  const all = readToEnd(s);
  s.write('GET /api HTTP/1.1\r');
  await new Promise((r) => setTimeout(r, 50)); // the LF comes later
  s.write('\nHost: a\r\nConnection: close\r\n\r\n');
  const [r] = parseResponses(await all);
  assert.equal(r!.status, 200);
});

const malformedGet = (method: string): string =>
  `${method} /hello.txt HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n\r\n`;

for (const method of ['GET', 'HEAD']) {
  test(`a ${method} whose unread chunked body is malformed: answered, then closed, for every split`, async () => {
    const bytes = Buffer.from(malformedGet(method) + 'GET /api HTTP/1.1\r\nHost: a\r\n\r\n');
    const outcomes = new Set<string>();
    for (const cut of [0, 20, 60, 75, 80, 84, bytes.length - 5]) {
      const s = await connect(server.port);
      const all = readToEnd(s);
      if (cut > 0) {
        s.write(bytes.subarray(0, cut));
        await new Promise((r) => setImmediate(r));
      }
      s.write(bytes.subarray(cut));
      const rs = parseResponses(await all, [method]);
      outcomes.add(rs.map((r) => r.status).join(','));
    }
    assert.deepEqual([...outcomes], ['200'], 'one response, then the close, whatever the split');
  });
}
