import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { accessLog, formatCombined, formatJson } from '../../src/app/access-log.js';
import { FieldList } from '../../src/http/fields.js';
import type { HTTPReq } from '../../src/http/types.js';
import type { ResponseInfo } from '../../src/http/connection.js';

function info(agent = 'curl/8 "x"', aborted = false): ResponseInfo {
  const headers = new FieldList();
  headers.add('User-Agent', agent);
  headers.add('Referer', 'http://e.example/');
  const req: HTTPReq = { method: 'GET', target: '/a?b=1', path: '/a', query: 'b=1', version: '1.1', headers, authority: 'e', remoteAddress: '10.0.0.1', secure: false };
  return { req, code: 200, bytes: 1234, durationMs: 1.5, aborted };
}

test('combined log format, quotes escaped, duration appended', () => {
  const line = formatCombined(info());
  assert.match(line, /^10\.0\.0\.1 - - \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/a\?b=1 HTTP\/1\.1" 200 1234 "http:\/\/e\.example\/" "curl\/8 \\x22x\\x22" 1\.500\n$/);
});

test('a response cut off half-way is marked aborted, with the bytes it sent', () => {
  assert.match(formatCombined(info(undefined, true)), / 200 1234 .* 1\.500 aborted\n$/);
  assert.equal(JSON.parse(formatJson(info(undefined, true))).aborted, true);
  assert.equal(JSON.parse(formatJson(info())).aborted, undefined);
});

test('json log lines parse back', () => {
  const o = JSON.parse(formatJson(info()));
  assert.equal(o.method, 'GET');
  assert.equal(o.path, '/a');
  assert.equal(o.status, 200);
  assert.equal(o.bytes, 1234);
  assert.equal(o.duration_ms, 1.5);
  assert.equal(o.remote, '10.0.0.1');
  assert.equal(o.user_agent, 'curl/8 "x"');
});

test('lines are batched into one write per turn', async () => {
  const writes: string[] = [];
  const out = new Writable({ write(chunk, _e, cb) { writes.push(String(chunk)); cb(); } });
  const log = accessLog('combined', out);
  for (let i = 0; i < 100; i++) log.record(info());
  assert.equal(writes.length, 0);
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 1);
  assert.equal(writes[0]!.split('\n').length, 101);
});

test('a destination that does not drain: memory stays bounded, extra lines are counted as dropped', async () => {
  let release!: () => void;
  const out = new Writable({ highWaterMark: 16, write(_c, _e, cb) { release = cb; } });
  const log = accessLog('json', out, 4096);
  log.record(info());
  await new Promise((r) => setImmediate(r)); // first write goes out and does not complete
  for (let i = 0; i < 1000; i++) log.record(info());
  assert.ok(log.dropped > 900, `dropped ${log.dropped}`);
  release();
});

test('a custom format: a function of the response info, request IDs included', async () => {
  const { requestId, requestIdOf } = await import('../../src/kit/request-id.js');
  const { startServer } = await import('../http/support.js');
  const lines: string[] = [];
  const out = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  const log = accessLog((i) => `${requestIdOf(i.req)} ${i.code} ${i.req.method} ${i.req.target}\n`, out);
  const server = await startServer(requestId()(() => ({ code: 204 })), { onResponse: log.record });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/x?y=1`);
    await res.arrayBuffer();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lines, [`${res.headers.get('x-request-id')} 204 GET /x?y=1\n`]);
  } finally {
    await server.close();
  }
});
