import assert from 'node:assert/strict';
import { test } from 'node:test';
import { router } from '../../src/app/router.js';
import { bodyFromBuffer } from '../../src/http/body.js';
import { HTTPError } from '../../src/http/errors.js';
import { FieldList } from '../../src/http/fields.js';
import type { HTTPReq, HTTPRes } from '../../src/http/types.js';
import { emptyBody } from '../../src/http/body.js';

const req = (method: string, path: string): HTTPReq => ({
  method, target: path, path, query: '', version: '1.1', headers: new FieldList(), authority: 'a', remoteAddress: '', secure: false,
});
const text = (s: string): HTTPRes => ({ code: 200, body: bodyFromBuffer(s) });
const bodyOf = async (res: HTTPRes | Promise<HTTPRes>) => (await res).body!.bytes!.toString();

async function status(p: HTTPRes | Promise<HTTPRes> | (() => HTTPRes | Promise<HTTPRes>)): Promise<number> {
  try {
    const r = typeof p === 'function' ? p() : p;
    return (await r).code;
  } catch (err) {
    if (err instanceof HTTPError) return err.status;
    throw err;
  }
}

const app = router()
  .get('/', () => text('root'))
  .get('/users/:id', (_r, _b, p) => text(`user ${p.id}`))
  .get('/users/:id/posts/:post', (_r, _b, p) => text(`${p.id}/${p.post}`))
  .post('/users', () => text('created'))
  .get('/files/*', (_r, _b, p) => text(`file ${p['*']}`))
  .all('/any', (r) => text(`any ${r.method}`));

test('static paths, parameters and wildcards', async () => {
  const b = emptyBody();
  assert.equal(await bodyOf(app(req('GET', '/'), b)), 'root');
  assert.equal(await bodyOf(app(req('GET', '/users/42'), b)), 'user 42');
  assert.equal(await bodyOf(app(req('GET', '/users/a%20b'), b)), 'user a b');
  assert.equal(await bodyOf(app(req('GET', '/users/7/posts/9'), b)), '7/9');
  assert.equal(await bodyOf(app(req('GET', '/files/a/b/c.txt'), b)), 'file a/b/c.txt');
  assert.equal(await bodyOf(app(req('GET', '/files/'), b)), 'file ');
  assert.equal(await bodyOf(app(req('PATCH', '/any'), b)), 'any PATCH');
});

test('HEAD is served by GET routes', async () => {
  assert.equal(await bodyOf(app(req('HEAD', '/users/1'), emptyBody())), 'user 1');
});

test('no route → 404; wrong method → 405 with Allow; OPTIONS → 204 with Allow', async () => {
  const b = emptyBody();
  assert.equal(await status(() => app(req('GET', '/nope'), b)), 404);
  assert.equal(await status(() => app(req('GET', '/users/'), b)), 404);
  assert.equal(await status(() => app(req('GET', '/users/1/extra'), b)), 404);
  try {
    await app(req('DELETE', '/users/1'), b);
    assert.fail('expected 405');
  } catch (err) {
    assert.ok(err instanceof HTTPError);
    assert.equal(err.status, 405);
    assert.equal(err.headers?.['allow'], 'GET, HEAD, OPTIONS');
  }
  const opts = await app(req('OPTIONS', '/users'), b);
  assert.equal(opts.code, 204);
  assert.equal(opts.headers?.['allow'], 'POST, OPTIONS');
});

test('malformed percent-encoding in a parameter → 400', async () => {
  assert.equal(await status(() => app(req('GET', '/users/%zz'), emptyBody())), 400);
});

test('unmatched paths go to the fallback handler', async () => {
  const withFallback = router(() => text('fallback')).get('/x', () => text('x'));
  assert.equal(await bodyOf(withFallback(req('GET', '/y'), emptyBody())), 'fallback');
});

test("'*' must end a pattern", () => {
  assert.throws(() => router().get('/a/*/b', () => text('')), /must end/);
});
