/** Error shaping: the JSON formatter at the server and per router; onError only for handler failures. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { router } from '../../src/app/router.js';
import { bodyFromBuffer } from '../../src/http/body.js';
import { HTTPError } from '../../src/http/errors.js';
import { jsonErrors, acceptsJson } from '../../src/kit/json-errors.js';
import { get, rawStatus, serve } from './support.js';

const app = router()
  .get('/missing', () => {
    throw new HTTPError(404, 'no todo 7');
  })
  .get('/boom', () => {
    throw new Error('database password is hunter2');
  })
  .post('/only-post', () => ({ code: 201 }));

test('jsonErrors at the server: JSON for clients that take it, text for the others, 5xx messages hidden', async () => {
  const s = await serve(app, { formatError: jsonErrors });
  try {
    const a = await get(`${s.base}/missing`, { headers: { accept: 'application/json' } });
    assert.equal(a.status, 404);
    assert.equal(a.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(a.text), { error: { status: 404, message: 'no todo 7' } });
    const noAccept = await get(`${s.base}/missing`, { headers: { accept: '' } });
    assert.equal(noAccept.headers.get('content-type'), 'application/json; charset=utf-8');
    const text = await get(`${s.base}/missing`, { headers: { accept: 'text/plain' } });
    assert.equal(text.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(text.text, 'no todo 7\n');
    const boom = await get(`${s.base}/boom`);
    assert.equal(boom.status, 500);
    assert.deepEqual(JSON.parse(boom.text), { error: { status: 500, message: 'Internal Server Error' } });
    const wrong = await get(`${s.base}/only-post`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST, OPTIONS');
    assert.equal(JSON.parse(wrong.text).error.status, 405);
    assert.equal(s.errors.length, 1, 'only the handler failure is reported');
    assert.match(String(s.errors[0]), /hunter2/);
    // A request that cannot be parsed has no request: still JSON, still not an application error.
    const [bad] = await rawStatus(s.server.port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
    assert.equal(bad!.status, 400);
    assert.equal(JSON.parse(bad!.body.toString()).error.status, 400);
    assert.equal(s.errors.length, 1);
  } finally {
    await s.close();
  }
});

test('a router formatError shapes errors thrown inside it only; exceptions still reach onError', async () => {
  const api = router({ formatError: jsonErrors })
    .get('/api/missing', () => {
      throw new HTTPError(404, 'no such thing');
    })
    .get('/api/boom', async () => {
      throw new Error('kaput');
    });
  const site = router((req) => {
    if (req.path !== '/page') throw new HTTPError(404);
    return { code: 200, body: bodyFromBuffer('page') };
  }).all('/api/*', api);
  const s = await serve(site);
  try {
    const missing = await get(`${s.base}/api/missing`);
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.text), { error: { status: 404, message: 'no such thing' } });
    const unknown = await get(`${s.base}/api/nothing-here`);
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.text).error.status, 404, "the api router's own 404 is JSON too");
    const boom = await get(`${s.base}/api/boom`);
    assert.equal(boom.status, 500);
    assert.equal(JSON.parse(boom.text).error.message, 'Internal Server Error');
    assert.equal(s.errors.length, 1);
    assert.match(String(s.errors[0]), /kaput/);
    const outside = await get(`${s.base}/elsewhere`, { headers: { accept: 'application/json' } });
    assert.equal(outside.status, 404);
    assert.equal(outside.headers.get('content-type'), 'text/plain; charset=utf-8', 'outside the api router: the server default');
    assert.equal((await get(`${s.base}/page`)).text, 'page');
  } finally {
    await s.close();
  }
});

test('a formatter that answers with another status is not trusted', async () => {
  const liar = () => ({ code: 200, body: bodyFromBuffer('all fine') });
  const s = await serve(router({ formatError: liar }).get('/x', () => {
    throw new HTTPError(403);
  }));
  try {
    const r = await get(`${s.base}/x`);
    assert.equal(r.status, 403);
    assert.equal(r.text, 'Forbidden\n');
  } finally {
    await s.close();
  }
});

test('acceptsJson follows the Accept field', () => {
  const req = (accept?: string) =>
    ({ headers: { get: (n: string) => (n === 'accept' ? accept : undefined) } }) as unknown as Parameters<typeof acceptsJson>[0];
  assert.equal(acceptsJson(null), true);
  assert.equal(acceptsJson(req(undefined)), true);
  assert.equal(acceptsJson(req('*/*')), true);
  assert.equal(acceptsJson(req('application/json')), true);
  assert.equal(acceptsJson(req('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')), true);
  assert.equal(acceptsJson(req('text/plain')), false);
  assert.equal(acceptsJson(req('application/json;q=0.5, text/plain')), false);
  assert.equal(acceptsJson(req('application/json;q=0')), false);
});
