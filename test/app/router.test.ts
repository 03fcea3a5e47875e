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

test('PATCH routes, and .all() takes every method', async () => {
  const r = router()
    .patch('/items/:id', (_r, _b, p) => text(`patched ${p.id}`))
    .all('/any/*', (req, _b, p) => text(`${req.method} ${p['*']}`));
  assert.equal(await bodyOf(r(req('PATCH', '/items/3'), emptyBody())), 'patched 3');
  assert.equal(await bodyOf(r(req('PROPFIND', '/any/x/y'), emptyBody())), 'PROPFIND x/y');
  assert.throws(() => r(req('GET', '/items/3'), emptyBody()), (e: unknown) => e instanceof HTTPError && e.status === 405 && e.headers?.['allow'] === 'PATCH, OPTIONS');
});

test('an unrecognized method is 501, a recognized one the resource lacks 405; methods are case-sensitive', async () => {
  const r = router().get('/doc', () => text('doc')).add('PROPFIND', '/dav', () => text('props'));
  const b = emptyBody();
  assert.equal(await status(() => r(req('XGET', '/doc'), b)), 501);
  assert.equal(await status(() => r(req('get', '/doc'), b)), 501);
  assert.equal(await status(() => r(req('MKCOLA', '/nowhere'), b)), 501);
  assert.equal(await status(() => r(req('DELETE', '/doc'), b)), 405);
  assert.equal(await status(() => r(req('PROPFIND', '/doc'), b)), 405, 'registered by a route: recognized');
  assert.equal(await status(() => r(req('DELETE', '/nowhere'), b)), 404);
  assert.equal(await bodyOf(r(req('PROPFIND', '/dav'), b)), 'props');
  assert.equal(r.recognizes('PROPFIND'), true);
  assert.equal(r.recognizes('propfind'), false);
  assert.throws(() => router().add('GE T', '/x', () => text('')), TypeError);
  // A custom fallback decides for paths no route matches.
  const withFallback = router(() => text('fallback')).get('/x', () => text('x'));
  assert.equal(await bodyOf(withFallback(req('XGET', '/y'), b)), 'fallback');
});

test("'*' is decoded segment by segment: no encoded slash, no dot segment, and the raw form beside it", async () => {
  const r = router().get('/files/*', (_r, _b, p) => text(`${p['*']}|${p['*raw']}`));
  const b = emptyBody();
  assert.equal(await bodyOf(r(req('GET', '/files/a%20b/c.txt'), b)), 'a b/c.txt|a%20b/c.txt');
  assert.equal(await status(() => r(req('GET', '/files/..%2f..%2fetc'), b)), 404);
  assert.equal(await status(() => r(req('GET', '/files/a%2Fb'), b)), 404);
  assert.equal(await status(() => r(req('GET', '/files/%2e%2e/etc'), b)), 400);
  assert.equal(await status(() => r(req('GET', '/files/../etc'), b)), 400);
  assert.equal(await status(() => r(req('GET', '/files/./x'), b)), 400);
  assert.equal(await status(() => r(req('GET', '/files/a%00b'), b)), 400);
  assert.equal(await status(() => r(req('GET', '/files/%E0%A4%A'), b)), 400);
  // A parameter is one segment, decoded once: it may hold "/", never a dot segment.
  const p = router().get('/users/:id', (_r, _b, params) => text(params.id));
  assert.equal(await bodyOf(p(req('GET', '/users/a%2Fb'), b)), 'a/b');
  assert.equal(await status(() => p(req('GET', '/users/%2E%2E'), b)), 400);
});

test('route parameters are typed from the pattern literal', () => {
  router()
    .get('/users/:id/posts/:post', (_r, _b, p) => {
      const id: string = p.id;
      const post: string = p.post;
      // @ts-expect-error: no such parameter in the pattern
      void p.nope;
      return text(id + post);
    })
    .get('/files/*', (_r, _b, p) => text(p['*'] + p['*raw']))
    .get('/plain', (_r, _b, p) => {
      // @ts-expect-error: a pattern without parameters has none
      void p.id;
      return text('');
    });
  const pattern: string = '/dyn/:x';
  router().get(pattern, (_r, _b, p) => text(p['anything'] ?? ''));
  assert.throws(() => router().get('/a/:b-c', () => text('')), /identifiers/);
  assert.throws(() => router().get('no-slash', () => text('')), TypeError);
});
