import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { activeCompressors, compressBody } from '../../src/compress/compress-body.js';
import { ONE_SHOT_MAX_BYTES } from '../../src/compress/limits.js';
import { planCompression } from '../../src/compress/plan.js';
import { withCompression } from '../../src/compress/with-compression.js';
import { bodyFromBuffer, bodyFromGenerator, readAll } from '../../src/http/body.js';
import { HTTPError } from '../../src/http/errors.js';
import type { BodyReader, HTTPRes } from '../../src/http/types.js';
import { request } from './support.js';

const JSON_BODY = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: i, name: `user ${i}` })));
const noBody = bodyFromBuffer('');

/** A body that records whether it was read and how often it was closed. */
function tracked(data: string | Buffer, streamed = false) {
  const inner = bodyFromBuffer(data);
  const stats = { reads: 0, closes: 0 };
  const body: BodyReader = {
    length: streamed ? -1 : inner.length,
    ...(streamed ? {} : { bytes: inner.bytes }),
    read: () => (stats.reads++, inner.read()),
    close: () => void stats.closes++,
  };
  return { body, stats };
}

const json = (extra: Record<string, string> = {}, body: BodyReader = bodyFromBuffer(JSON_BODY)): HTTPRes => ({
  code: 200,
  headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length), ETag: '"v1"', ...extra },
  body,
});

const gzipReq = (method = 'GET', extra: Record<string, string> = {}) =>
  request(method, { 'Accept-Encoding': 'gzip, deflate', ...extra });

test('an in-memory JSON body: compressed in one call, Content-Encoding, Vary, ETag, a new Content-Length', async () => {
  const handlerHeaders = { 'Content-Type': 'application/json', ETag: '"v1"', Vary: 'Origin' };
  const app = withCompression(() => ({ code: 200, headers: handlerHeaders, body: bodyFromBuffer(JSON_BODY) }));
  const res = await app(gzipReq(), noBody);
  assert.deepEqual(res.headers, {
    'Content-Type': 'application/json',
    ETag: '"v1-gzip"',
    Vary: 'Origin, Accept-Encoding',
    'Content-Encoding': 'gzip',
  });
  assert.deepEqual(handlerHeaders, { 'Content-Type': 'application/json', ETag: '"v1"', Vary: 'Origin' }, 'not mutated');
  const data = await readAll(res.body!);
  assert.equal(res.body!.length, data.length);
  assert.equal(zlib.gunzipSync(data).toString(), JSON_BODY);
  assert.equal(activeCompressors(), 0);
});

test('Content-Length is dropped whatever its spelling; a streamed body gets length -1', async () => {
  const big = Buffer.alloc(ONE_SHOT_MAX_BYTES + 1, 'x');
  const app = withCompression(() => ({
    code: 200,
    headers: { 'content-type': 'text/plain', 'content-length': big.length, 'CONTENT-LENGTH': big.length },
    body: bodyFromBuffer(big),
  }));
  const res = await app(request('GET', { 'accept-encoding': 'br' }), noBody);
  assert.deepEqual(res.headers, { 'content-type': 'text/plain', Vary: 'Accept-Encoding', 'Content-Encoding': 'br' });
  assert.equal(res.body!.length, -1);
  assert.equal(activeCompressors(), 1);
  const data = await readAll(res.body!, Infinity);
  await res.body!.close!();
  assert.ok(zlib.brotliDecompressSync(data).equals(big));
  assert.equal(activeCompressors(), 0);
});

test('a generator body is compressed as a stream and flushed per chunk', async () => {
  async function* sheep() {
    for (let i = 1; i <= 3; i++) yield `${i} sheep\n`;
  }
  const app = withCompression(() => ({ code: 200, headers: { 'content-type': 'text/plain' }, body: bodyFromGenerator(sheep()) }));
  const res = await app(gzipReq(), noBody);
  assert.equal(res.headers!['Content-Encoding'], 'gzip');
  const chunks: Buffer[] = [];
  for (let c = await res.body!.read(); c.length > 0; c = await res.body!.read()) chunks.push(c);
  await res.body!.close!();
  assert.ok(chunks.length >= 3, 'one flushed piece per generated chunk');
  assert.equal(zlib.gunzipSync(Buffer.concat(chunks)).toString(), '1 sheep\n2 sheep\n3 sheep\n');
});

test('identity chosen by negotiation still gets Vary, and nothing else changes', async () => {
  for (const field of [undefined, '', 'identity', 'gzip;q=0', 'zstd']) {
    const res0 = json();
    const res = await withCompression(() => res0)(request('GET', field === undefined ? {} : { 'Accept-Encoding': field }), noBody);
    assert.equal(res.body, res0.body);
    assert.deepEqual(res.headers, { ...res0.headers, Vary: 'Accept-Encoding' }, String(field));
  }
});

test('responses left alone: 206, Range, HEAD body, no-transform, already encoded, small, incompressible, compress: false', async () => {
  const cases: [string, ReturnType<typeof request>, HTTPRes][] = [
    ['206', gzipReq(), { ...json(), code: 206 }],
    ['Range', gzipReq('GET', { Range: 'bytes=0-10' }), json()],
    ['no-transform', gzipReq(), json({ 'Cache-Control': 'public, no-transform' })],
    ['encoded', gzipReq(), json({ 'Content-Encoding': 'gzip' })],
    ['small', gzipReq(), json({}, bodyFromBuffer('{"ok":true}'))],
    ['png', gzipReq(), { code: 200, headers: { 'content-type': 'image/png' }, body: bodyFromBuffer(Buffer.alloc(5000)) }],
    ['compress false', gzipReq(), { ...json(), compress: false }],
    ['204', gzipReq(), { code: 204 }],
  ];
  for (const [name, req, res0] of cases) {
    const res = await withCompression(() => res0)(req, noBody);
    assert.equal(res, res0, name);
  }
  assert.equal(activeCompressors(), 0);
});

test('HEAD: the header fields GET would get, and no compression work', async () => {
  const { body, stats } = tracked(Buffer.alloc(ONE_SHOT_MAX_BYTES + 1, 'a'));
  const res = await withCompression(() => json({}, body))(gzipReq('HEAD'), noBody);
  assert.equal(res.headers!['Content-Encoding'], 'gzip');
  assert.equal(res.headers!.ETag, '"v1-gzip"');
  assert.equal(res.headers!['Content-Length'], undefined);
  assert.equal(res.body!.length, -1);
  assert.equal(activeCompressors(), 0);
  await res.body!.close!();
  assert.deepEqual(stats, { reads: 0, closes: 1 });
});

test('304: Vary when the 200 could have been compressed', async () => {
  const app = (res: HTTPRes) => withCompression(() => res)(gzipReq(), noBody);
  assert.deepEqual((await app({ code: 304, headers: { ETag: '"v1"' } })).headers, { ETag: '"v1"', Vary: 'Accept-Encoding' });
  assert.deepEqual((await app({ code: 304, headers: { 'Content-Type': 'text/html' } })).headers, {
    'Content-Type': 'text/html',
    Vary: 'Accept-Encoding',
  });
  assert.deepEqual((await app({ code: 304, headers: { 'Content-Type': 'image/png' } })).headers, { 'Content-Type': 'image/png' });
  assert.deepEqual((await app({ code: 304, compress: false })).headers, undefined);
});

test('406 only when identity is refused, no coding fits, and the response was compressible', async () => {
  const { body, stats } = tracked(JSON_BODY);
  const app = withCompression(() => json({}, body), { encodings: ['gzip'] });
  await assert.rejects(async () => app(request('GET', { 'Accept-Encoding': 'br, identity;q=0' }), noBody), (err: unknown) => {
    assert.ok(err instanceof HTTPError);
    assert.equal(err.status, 406);
    assert.deepEqual(err.headers, { Vary: 'Accept-Encoding' });
    return true;
  });
  assert.equal(stats.closes, 1, 'the abandoned body is closed');
  const png: HTTPRes = { code: 200, headers: { 'content-type': 'image/png' }, body: bodyFromBuffer(Buffer.alloc(5000)) };
  assert.equal(await withCompression(() => png)(request('GET', { 'Accept-Encoding': 'identity;q=0' }), noBody), png);
  const ok = await app(request('GET', { 'Accept-Encoding': 'gzip, identity;q=0' }), noBody);
  assert.equal(ok.headers!['Content-Encoding'], 'gzip');
});

test('a preference order from the options breaks ties', async () => {
  const res = await withCompression(() => json(), { encodings: ['deflate', 'gzip'] })(gzipReq(), noBody);
  assert.equal(res.headers!['Content-Encoding'], 'deflate');
  assert.equal(zlib.inflateSync(await readAll(res.body!)).toString(), JSON_BODY);
});

test('past maxActive compressors: identity, unless the client refuses identity', async () => {
  const busy = compressBody(bodyFromGenerator((async function* () {})()), 'gzip');
  assert.equal(activeCompressors(), 1);
  const options = { maxActive: 1 };
  assert.deepEqual(planCompression(gzipReq(), json(), options), { vary: true, coding: 'identity' });
  const res = await withCompression(() => json(), options)(gzipReq(), noBody);
  assert.equal(res.headers!['Content-Encoding'], undefined);
  assert.equal(res.headers!.Vary, 'Accept-Encoding');
  const forced = planCompression(request('GET', { 'accept-encoding': 'gzip, identity;q=0' }), json(), options);
  assert.deepEqual(forced, { vary: true, coding: 'gzip' });
  await busy.close!();
  assert.deepEqual(planCompression(gzipReq(), json(), options), { vary: true, coding: 'gzip' });
});

test('an error of the handler passes through', async () => {
  const app = withCompression(() => {
    throw new HTTPError(404);
  });
  await assert.rejects(async () => app(gzipReq(), noBody), (e: unknown) => e instanceof HTTPError && e.status === 404);
});
