/** readJSON, readForm and searchParams over real sockets: 415, 413, 400 precisely. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { router } from '../../src/app/router.js';
import { json } from '../../src/http/body.js';
import { searchParams } from '../../src/kit/query.js';
import { readForm, readJSON } from '../../src/kit/read-body.js';
import { get, serve } from './support.js';

const app = router()
  .post('/json', async (req, body) => json({ got: await readJSON(req, body, { limit: 100 }) }))
  .post('/any', async (req, body) => json({ got: await readJSON(req, body, { anyType: true }) }))
  .post('/form', async (req, body) => json(Object.fromEntries(await readForm(req, body, { limit: 100 }))))
  .get('/q', (req) => {
    const a = searchParams(req);
    assert.equal(searchParams(req), a, 'parsed once per request');
    return json({ tags: a.getAll('tag'), name: a.get('name'), none: a.get('none') });
  });

const post = (s: { base: string }, path: string, body: string | Uint8Array, headers: Record<string, string>) =>
  get(`${s.base}${path}`, { method: 'POST', body, headers });

test('readJSON: JSON types only (415 otherwise), UTF-8, within the limit, well-formed', async () => {
  const s = await serve(app);
  try {
    const ok = await post(s, '/json', '{"a":[1,2]}', { 'content-type': 'application/json' });
    assert.deepEqual(JSON.parse(ok.text), { got: { a: [1, 2] } });
    assert.equal((await post(s, '/json', '{"a":1}', { 'content-type': 'application/merge-patch+json; charset=UTF-8' })).status, 200);
    assert.equal((await post(s, '/json', '\ufeff{"bom":true}', { 'content-type': 'application/json' })).status, 200);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', 'nonsense']) {
      assert.equal((await post(s, '/json', '{}', { 'content-type': type })).status, 415, type);
    }
    assert.equal((await get(`${s.base}/json`, { method: 'POST', body: new Uint8Array([0x7b, 0x7d]) })).status, 415, 'no Content-Type');
    assert.equal((await post(s, '/json', '{}', { 'content-type': 'application/json; charset=latin1' })).status, 415);
    assert.equal((await post(s, '/json', '{}', { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status, 415);
    assert.equal((await post(s, '/json', '{nope', { 'content-type': 'application/json' })).status, 400);
    assert.equal((await post(s, '/json', `"${'x'.repeat(200)}"`, { 'content-type': 'application/json' })).status, 413);
    assert.equal((await post(s, '/any', '[1]', { 'content-type': 'text/plain' })).status, 200, 'anyType');
    assert.equal(s.errors.length, 0, 'client mistakes are not reported');
  } finally {
    await s.close();
  }
});

test('readForm: urlencoded fields, 415 for other types, 413 past the limit', async () => {
  const s = await serve(app);
  try {
    const ok = await post(s, '/form', 'name=Ann+Lee&city=K%C3%B8ge&empty=', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual(JSON.parse(ok.text), { name: 'Ann Lee', city: 'Køge', empty: '' });
    const fromFetch = await get(`${s.base}/form`, { method: 'POST', body: new URLSearchParams({ a: '1 & 2' }) });
    assert.deepEqual(JSON.parse(fromFetch.text), { a: '1 & 2' });
    assert.equal((await post(s, '/form', 'a=1', { 'content-type': 'application/json' })).status, 415);
    assert.equal((await post(s, '/form', `a=${'x'.repeat(200)}`, { 'content-type': 'application/x-www-form-urlencoded' })).status, 413);
  } finally {
    await s.close();
  }
});

test('searchParams: a URLSearchParams view of req.query', async () => {
  const s = await serve(app);
  try {
    const r = await get(`${s.base}/q?tag=a&tag=b%20c&name=x+y`);
    assert.deepEqual(JSON.parse(r.text), { tags: ['a', 'b c'], name: 'x y', none: null });
  } finally {
    await s.close();
  }
});
