/** Error pages over a real server: a site's 50x.html for a handler's exception, weft's own page otherwise. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { errorPagePaths, htmlErrors, withErrorPages } from '../../src/app/error-pages.js';
import { HTTPError } from '../../src/http/errors.js';
import { serveStatic } from '../../src/static/serve-static.js';
import { rawStatus, startServer } from '../http/support.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-errors-'));
  writeFileSync(join(dir, '50x.html'), '<h1>we broke it</h1>');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the paths tried: configured status, /<status>.html, configured class, /<d>0x.html', () => {
  assert.deepEqual(errorPagePaths(503, {}), ['/503.html', '/50x.html']);
  assert.deepEqual(errorPagePaths(404, { '404': '/e/404.html', '4xx': '/e/4xx.html' }), ['/e/404.html', '/404.html', '/e/4xx.html', '/40x.html']);
});

test("a handler's exception gets 50x.html with status 500 and reaches onError; an HTTPError that closes gets the short answer", async () => {
  const reported: unknown[] = [];
  const files = serveStatic(dir);
  const app = withErrorPages(
    (req) => {
      if (req.path === '/boom') throw new Error('internal detail');
      if (req.path === '/busy') throw new HTTPError(503, undefined, { headers: { 'Retry-After': '5' } });
      throw new HTTPError(400, 'bad framing', { close: true });
    },
    files,
    {},
    (err) => reported.push(err),
  );
  const server = await startServer(app, { formatError: htmlErrors, onError: (err) => reported.push(err) });
  try {
    const [boom] = await rawStatus(server.port, 'GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(boom!.status, 500);
    assert.equal(boom!.body.toString(), '<h1>we broke it</h1>');
    assert.equal(reported.length, 1);
    assert.equal((reported[0] as Error).message, 'internal detail');
    const [busy] = await rawStatus(server.port, 'GET /busy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(busy!.status, 503);
    assert.equal(busy!.headers['retry-after'], '5');
    assert.equal(busy!.headers['etag'], undefined);
    const [bad] = await rawStatus(server.port, 'GET /x HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n');
    assert.equal(bad!.status, 400);
    assert.match(bad!.body.toString(), /<h1>400 Bad Request<\/h1><p>bad framing<\/p>/);
    assert.equal(bad!.headers['connection'], 'close');
  } finally {
    await server.close();
  }
});

test("weft's own page never shows a 5xx's message, and escapes the path", () => {
  const req = { path: '/<img src=x>', headers: { get: (n: string) => (n === 'accept' ? 'text/html' : undefined) } } as never;
  const res = htmlErrors(new Error('secret stack'), req);
  const html = res.body!.bytes!.toString();
  assert.equal(res.code, 500);
  assert.ok(!html.includes('secret'));
  assert.ok(html.includes('&lt;img src=x&gt;') && !html.includes('<img'));
});
