/**
 * serveStatic's content codings, at the handler: the representation chosen
 * (identity, sidecar, compressed here), its validators and header fields,
 * conditional and range requests against it, HEAD, and the cache of
 * compressed files.
 */
import assert from 'node:assert/strict';
import { mkdirSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { activeCompressors } from '../../src/compress/compress-body.js';
import { withCompression } from '../../src/compress/with-compression.js';
import { CACHE_SETTLE_MS } from '../../src/static/options.js';
import { fileETag } from '../../src/static/representation.js';
import { serveStatic } from '../../src/static/index.js';
import { decode, makeCodingSite, type CodingSite } from './coding-fixture.js';
import { call, makeReq, openFdCount, PAST, removeTree, statusOf } from './helpers.js';

let site: CodingSite;
before(async () => {
  site = await makeCodingSite();
});
after(() => removeTree(site.base));

const etagOf = (name: string) => fileETag(statSync(join(site.root, name)));
const withCoding = (etag: string, coding: string) => `${etag.slice(0, -1)}-${coding}"`;

/** True when two buffers are views of the same memory (the same cached bytes, not equal copies). */
function sameMemory(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a !== undefined && b !== undefined && a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;
}

/** The same tests against a memory-cached and an uncached handler. */
const VARIANTS = [
  { name: 'cache on', options: {} },
  { name: 'cache off', options: { cache: false } },
] as const;

describe('compression on the fly', () => {
  for (const { name, options } of VARIANTS) {
    test(`each coding decodes to the file; its ETag is not identity's (${name})`, async () => {
      const h = serveStatic(site.root, options);
      const identity = await call(h, 'GET', '/page.html');
      assert.equal(identity.code, 200);
      assert.equal(identity.headers['content-encoding'], undefined);
      assert.equal(identity.headers['vary'], 'Accept-Encoding');
      assert.equal(identity.headers['etag'], etagOf('page.html'));
      assert.deepEqual(identity.body, site.page);
      for (const coding of ['gzip', 'br', 'deflate']) {
        for (let i = 0; i < 2; i++) {
          const r = await call(h, 'GET', '/page.html', { 'Accept-Encoding': coding });
          assert.equal(r.code, 200);
          assert.equal(r.headers['content-encoding'], coding);
          assert.equal(r.headers['vary'], 'Accept-Encoding');
          assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
          assert.equal(r.headers['etag'], withCoding(etagOf('page.html'), coding));
          assert.equal(r.headers['last-modified'], identity.headers['last-modified']);
          assert.equal(r.headers['accept-ranges'], undefined, 'ranges are served from identity bytes only');
          assert.ok(r.body.length < site.page.length / 4);
          assert.deepEqual(decode(r.body, coding), site.page);
        }
      }
      assert.equal(activeCompressors(), 0);
    });
  }

  test('a cached file is compressed once per coding: later responses reuse the bytes and have a length', async () => {
    const h = serveStatic(site.root);
    const first = await Promise.all(Array.from({ length: 8 }, () => call(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip' })));
    const bytes = first[0]!.res.body!.bytes;
    assert.ok(bytes !== undefined, 'sent from memory with a Content-Length');
    for (const r of first) assert.ok(sameMemory(r.res.body!.bytes, bytes), 'concurrent requests share one compression');
    const later = await call(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip' });
    assert.ok(sameMemory(later.res.body!.bytes, bytes));
    assert.equal(later.length, bytes.length);
    const br = await call(h, 'GET', '/page.html', { 'Accept-Encoding': 'br' });
    assert.ok(!sameMemory(br.res.body!.bytes, bytes));
  });

  test('a file too big for the cache is compressed as it is sent (chunked)', async () => {
    const h = serveStatic(site.root);
    const r = await call(h, 'GET', '/big.txt', { 'Accept-Encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.length, -1);
    assert.ok(decode(r.body, 'gzip').equals(site.big));
    assert.equal(activeCompressors(), 0);
  });

  test('the server preference breaks ties, and q-values are honoured', async () => {
    const h = serveStatic(site.root);
    const coding = async (ae: string) => (await call(h, 'GET', '/page.html', { 'Accept-Encoding': ae })).headers['content-encoding'];
    assert.equal(await coding('gzip, deflate, br'), 'br');
    assert.equal(await coding('gzip, br;q=0.5'), 'gzip');
    assert.equal(await coding('*'), 'br');
    assert.equal(await coding('identity'), undefined);
    assert.equal(await coding('zstd'), undefined);
    assert.equal(await coding('gzip;q=0, br;q=0'), undefined);
    const only = serveStatic(site.root, { compression: { encodings: ['gzip'] } });
    assert.equal((await call(only, 'GET', '/page.html', { 'Accept-Encoding': 'br, gzip;q=0.1' })).headers['content-encoding'], 'gzip');
  });

  test('406 when the client refuses identity and accepts no coding on offer', async () => {
    const h = serveStatic(site.root);
    await assert.rejects(call(h, 'GET', '/page.html', { 'Accept-Encoding': 'zstd, identity;q=0' }), (err: { status?: number; headers?: Record<string, string> }) => {
      assert.equal(err.status, 406);
      return true;
    });
    assert.equal(await statusOf(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip, identity;q=0' }), 200);
  });

  test('small files and types that do not compress are sent as they are, without Vary', async () => {
    const h = serveStatic(site.root);
    for (const path of ['/tiny.txt', '/photo.png']) {
      const r = await call(h, 'GET', path, { 'Accept-Encoding': 'gzip, br' });
      assert.equal(r.headers['content-encoding'], undefined, path);
      assert.equal(r.headers['vary'], undefined, path);
    }
  });

  test('compression: false and Cache-Control no-transform turn it off', async () => {
    for (const h of [serveStatic(site.root, { compression: false }), serveStatic(site.root, { cacheControl: 'public, no-transform' })]) {
      const r = await call(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip' });
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers['vary'], undefined);
      assert.deepEqual(r.body, site.page);
    }
  });

  test('a request with Cache-Control: no-transform gets identity (and Vary)', async () => {
    const r = await call(serveStatic(site.root), 'GET', '/page.html', { 'Accept-Encoding': 'gzip', 'Cache-Control': 'no-transform' });
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers['vary'], 'Accept-Encoding');
  });

  test('bad compression options fail at setup', () => {
    assert.throws(() => serveStatic(site.root, { compression: { level: 42 } }), RangeError);
  });

  test('wrapped in withCompression, files are not compressed twice', async () => {
    const h = withCompression(serveStatic(site.root));
    const r = await call(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.deepEqual(decode(r.body, 'gzip'), site.page);
    assert.equal(r.headers['vary'], 'Accept-Encoding');
  });
});

describe('conditional requests against the selected representation', () => {
  for (const { name, options } of VARIANTS) {
    test(`If-None-Match with the gzip ETag: 304 only for a gzip request (${name})`, async () => {
      const h = serveStatic(site.root, options);
      const gz = await call(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip' });
      const tag = gz.headers['etag']!;
      const notModified = await call(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip', 'If-None-Match': tag });
      assert.equal(notModified.code, 304);
      assert.equal(notModified.headers['etag'], tag);
      assert.equal(notModified.headers['vary'], 'Accept-Encoding');
      assert.equal(notModified.headers['content-encoding'], undefined);
      // Without Accept-Encoding the selected representation is identity: a 200.
      const plain = await call(h, 'GET', '/page.html', { 'If-None-Match': tag });
      assert.equal(plain.code, 200);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.headers['etag'], etagOf('page.html'));
      assert.deepEqual(plain.body, site.page);
      // Another coding is another representation.
      const br = await call(h, 'GET', '/page.html', { 'Accept-Encoding': 'br', 'If-None-Match': tag });
      assert.equal(br.code, 200);
      assert.equal(br.headers['content-encoding'], 'br');
      // The identity tag does not validate the gzip representation.
      const cross = await call(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip', 'If-None-Match': etagOf('page.html') });
      assert.equal(cross.code, 200);
      assert.equal(cross.headers['content-encoding'], 'gzip');
      const identity304 = await call(h, 'GET', '/page.html', { 'If-None-Match': etagOf('page.html') });
      assert.equal(identity304.code, 304);
      assert.equal(identity304.headers['vary'], 'Accept-Encoding');
    });
  }

  test('If-Match and If-Modified-Since against a coded representation', async () => {
    const h = serveStatic(site.root);
    const gzTag = withCoding(etagOf('page.html'), 'gzip');
    assert.equal(await statusOf(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip', 'If-Match': etagOf('page.html') }), 412);
    assert.equal(await statusOf(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip', 'If-Match': gzTag }), 200);
    const lm = (await call(h, 'GET', '/page.html')).headers['last-modified']!;
    assert.equal(await statusOf(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip', 'If-Modified-Since': lm }), 304);
  });

  test('a 304 or 412 of an uncompressed file does no compression work', async () => {
    const h = serveStatic(site.root, { cache: false });
    const tag = withCoding(etagOf('big.txt'), 'br');
    const r = await call(h, 'GET', '/big.txt', { 'Accept-Encoding': 'br', 'If-None-Match': tag });
    assert.equal(r.code, 304);
    assert.equal(r.res.body, undefined);
    assert.equal(activeCompressors(), 0);
  });
});

describe('ranges are served from identity bytes', () => {
  for (const { name, options } of VARIANTS) {
    test(`Range with Accept-Encoding gets an uncompressed 206 (${name})`, async () => {
      const h = serveStatic(site.root, options);
      for (const path of ['/page.html', '/style.css', '/big.txt']) {
        const r = await call(h, 'GET', path, { 'Accept-Encoding': 'gzip, br', Range: 'bytes=100-199' });
        assert.equal(r.code, 206, path);
        assert.equal(r.headers['content-encoding'], undefined, path);
        assert.equal(r.headers['content-range']?.startsWith('bytes 100-199/'), true, path);
        assert.equal(r.headers['vary'], 'Accept-Encoding', path);
        assert.equal(r.body.length, 100);
      }
      const r = await call(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip', Range: 'bytes=0-9' });
      assert.deepEqual(r.body, site.page.subarray(0, 10));
    });
  }

  test('If-Range with a coded ETag does not match the identity bytes: the whole file, uncoded', async () => {
    const h = serveStatic(site.root);
    const tag = withCoding(etagOf('page.html'), 'gzip');
    const r = await call(h, 'GET', '/page.html', { 'Accept-Encoding': 'gzip', Range: 'bytes=0-9', 'If-Range': tag });
    assert.equal(r.code, 200);
    assert.equal(r.headers['content-encoding'], undefined);
    assert.deepEqual(r.body, site.page);
  });
});

describe('HEAD', () => {
  for (const { name, options } of VARIANTS) {
    test(`HEAD of a compressible file has GET's header fields and no body, and compresses nothing (${name})`, async () => {
      for (const [path, ae] of [
        ['/page.html', 'gzip'],
        ['/page.html', 'br'],
        ['/page.html', ''],
        ['/big.txt', 'gzip'],
        ['/style.css', 'br'],
        ['/style.css', 'deflate'],
      ] as const) {
        const headers: Record<string, string> = ae === '' ? {} : { 'Accept-Encoding': ae };
        const h = serveStatic(site.root, options);
        const head = await call(h, 'HEAD', path, headers);
        assert.equal(activeCompressors(), 0);
        const get = await call(h, 'GET', path, headers);
        assert.equal(head.code, 200);
        assert.deepEqual(head.headers, get.headers, `${path} ${ae}`);
        assert.equal(head.body.length, 0);
        if (head.length >= 0) assert.equal(head.length, get.length);
        // Once the compressed bytes are cached, HEAD announces their length too.
        const again = await call(h, 'HEAD', path, headers);
        assert.deepEqual(again.headers, get.headers);
        if (get.res.body?.bytes !== undefined) assert.equal(again.length, get.length, `${path} ${ae}`);
      }
    });
  }
});

describe('precompressed sidecars', () => {
  for (const { name, options } of VARIANTS) {
    test(`a sidecar is sent as it is: exact length, the original's type, its own ETag (${name})`, async () => {
      const h = serveStatic(site.root, options);
      for (const [coding, bytes, file] of [
        ['br', site.cssBr, 'style.css.br'],
        ['gzip', site.cssGz, 'style.css.gz'],
      ] as const) {
        for (let i = 0; i < 3; i++) {
          const r = await call(h, 'GET', '/style.css', { 'Accept-Encoding': coding });
          assert.equal(r.code, 200);
          assert.equal(r.headers['content-encoding'], coding);
          assert.equal(r.headers['content-type'], 'text/css; charset=utf-8');
          assert.equal(r.headers['vary'], 'Accept-Encoding');
          assert.equal(r.length, bytes.length, 'Content-Length is the sidecar size');
          assert.deepEqual(r.body, bytes, 'the sidecar bytes, not compressed again');
          assert.equal(r.headers['etag'], withCoding(etagOf(file), coding));
          assert.notEqual(r.headers['etag'], etagOf('style.css'));
          assert.deepEqual(decode(r.body, coding), site.css);
        }
      }
      const identity = await call(h, 'GET', '/style.css');
      assert.equal(identity.headers['content-encoding'], undefined);
      assert.equal(identity.headers['vary'], 'Accept-Encoding');
      assert.deepEqual(identity.body, site.css);
    });

    test(`sidecar and If-None-Match (${name})`, async () => {
      const h = serveStatic(site.root, options);
      const tag = (await call(h, 'GET', '/style.css', { 'Accept-Encoding': 'br' })).headers['etag']!;
      const r = await call(h, 'GET', '/style.css', { 'Accept-Encoding': 'br', 'If-None-Match': tag });
      assert.equal(r.code, 304);
      assert.equal(r.headers['etag'], tag);
      assert.equal(r.headers['vary'], 'Accept-Encoding');
      const gz = await call(h, 'GET', '/style.css', { 'Accept-Encoding': 'gzip', 'If-None-Match': tag });
      assert.equal(gz.code, 200);
      assert.deepEqual(gz.body, site.cssGz);
      const plain = await call(h, 'GET', '/style.css', { 'If-None-Match': tag });
      assert.equal(plain.code, 200);
      assert.deepEqual(plain.body, site.css);
      const head = await call(h, 'HEAD', '/style.css', { 'Accept-Encoding': 'br', 'If-None-Match': tag });
      assert.equal(head.code, 304);
    });
  }

  test('a sidecar wins over a coding the client prefers that would cost CPU', async () => {
    const h = serveStatic(site.root);
    const r = await call(h, 'GET', '/only-gz.js', { 'Accept-Encoding': 'br, gzip;q=0.8' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.deepEqual(r.body, site.jsGz);
    const br = await call(h, 'GET', '/only-gz.js', { 'Accept-Encoding': 'br' });
    assert.equal(br.headers['content-encoding'], 'br', 'no br sidecar: compressed here');
    assert.deepEqual(decode(br.body, 'br'), site.js);
  });

  test('a sidecar older than its file is stale and never served', async () => {
    const h = serveStatic(site.root);
    for (let i = 0; i < 2; i++) {
      const r = await call(h, 'GET', '/stale.js', { 'Accept-Encoding': 'gzip' });
      assert.equal(r.headers['content-encoding'], 'gzip');
      assert.deepEqual(decode(r.body, 'gzip'), site.stale, 'compressed here from the current file');
    }
    const off = serveStatic(site.root, { compression: false });
    const r = await call(off, 'GET', '/stale.js', { 'Accept-Encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], undefined);
    assert.deepEqual(r.body, site.stale);
  });

  test('precompressed: false ignores sidecars; compression: false still serves them', async () => {
    const noSidecars = await call(serveStatic(site.root, { precompressed: false }), 'GET', '/style.css', { 'Accept-Encoding': 'br' });
    assert.equal(noSidecars.headers['content-encoding'], 'br');
    assert.notDeepEqual(noSidecars.body, site.cssBr);
    assert.deepEqual(decode(noSidecars.body, 'br'), site.css);
    const onlySidecars = serveStatic(site.root, { compression: false });
    const r = await call(onlySidecars, 'GET', '/style.css', { 'Accept-Encoding': 'br' });
    assert.deepEqual(r.body, site.cssBr);
    const plain = await call(onlySidecars, 'GET', '/style.css', { 'Accept-Encoding': 'deflate' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers['vary'], 'Accept-Encoding', 'the file has coded representations');
  });

  test('a sidecar requested by its own name is an ordinary file', async () => {
    const r = await call(serveStatic(site.root), 'GET', '/style.css.br', { 'Accept-Encoding': 'br, gzip' });
    assert.equal(r.headers['content-type'], 'application/x-brotli');
    assert.equal(r.headers['content-encoding'], undefined);
    assert.deepEqual(r.body, site.cssBr);
  });

  for (const { name, options } of VARIANTS) {
    test(`a sidecar deleted, replaced or made stale is noticed at once (${name})`, async () => {
      const root = join(site.base, `changing-${name.replace(' ', '-')}`);
      mkdirSync(root);
      const css = site.css;
      writeFileSync(join(root, 'a.css'), css);
      writeFileSync(join(root, 'a.css.gz'), site.cssGz);
      utimesSync(join(root, 'a.css'), PAST / 1000, PAST / 1000);
      utimesSync(join(root, 'a.css.gz'), PAST / 1000, PAST / 1000);
      const h = serveStatic(root, { ...options, compression: false });
      const get = () => call(h, 'GET', '/a.css', { 'Accept-Encoding': 'gzip' });
      assert.deepEqual((await get()).body, site.cssGz);
      // Replaced by other bytes (a rebuild): the new ones, with a new ETag.
      const before = (await get()).headers['etag'];
      const rebuilt = zlib.gzipSync(css, { level: 1 });
      writeFileSync(join(root, 'a.css.gz'), rebuilt);
      const r = await get();
      assert.deepEqual(r.body, rebuilt);
      assert.notEqual(r.headers['etag'], before);
      // Made stale: the file is newer now.
      utimesSync(join(root, 'a.css.gz'), PAST / 1000 - 5, PAST / 1000 - 5);
      const stale = await get();
      assert.equal(stale.headers['content-encoding'], undefined);
      assert.deepEqual(stale.body, css);
      // Fresh again (found again at once: a sidecar that failed is looked for anew), then deleted.
      utimesSync(join(root, 'a.css.gz'), PAST / 1000, PAST / 1000);
      assert.deepEqual((await get()).body, rebuilt);
      unlinkSync(join(root, 'a.css.gz'));
      const gone = await get();
      assert.equal(gone.code, 200);
      assert.equal(gone.headers['content-encoding'], undefined);
      assert.deepEqual(gone.body, css);
    });
  }
});

describe('sidecars of files not opened', () => {
  test('a file swapped for a symlink out of the root no longer gets its sidecar', async () => {
    const root = join(site.base, 'swapped');
    mkdirSync(root);
    writeFileSync(join(root, 'a.css'), site.css);
    writeFileSync(join(root, 'a.css.gz'), site.cssGz);
    writeFileSync(join(site.base, 'outside.css'), site.css);
    for (const name of ['a.css', 'a.css.gz']) utimesSync(join(root, name), PAST / 1000, PAST / 1000);
    for (const options of [{}, { cache: false }]) {
      const h = serveStatic(root, options);
      for (let i = 0; i < 3; i++) assert.deepEqual((await call(h, 'GET', '/a.css', { 'Accept-Encoding': 'gzip' })).body, site.cssGz);
    }
    const h = serveStatic(root, { cache: false });
    await call(h, 'GET', '/a.css', { 'Accept-Encoding': 'gzip' }); // a.css's sidecars are known now
    unlinkSync(join(root, 'a.css'));
    symlinkSync(join(site.base, 'outside.css'), join(root, 'a.css'));
    assert.equal(await statusOf(h, 'GET', '/a.css', { 'Accept-Encoding': 'gzip' }), 404);
    unlinkSync(join(root, 'a.css'));
    assert.equal(await statusOf(h, 'GET', '/a.css', { 'Accept-Encoding': 'gzip' }), 404, 'no sidecar without its file');
  });
});

describe('the compressed cache follows the file', () => {
  test('a changed file is never served compressed from its old bytes', async () => {
    const root = join(site.base, 'changes');
    mkdirSync(root);
    const path = join(root, 'doc.html');
    const v1 = Buffer.from('<p>first version</p>\n'.repeat(200));
    const v2 = Buffer.from('<p>second, longer version</p>\n'.repeat(200));
    writeFileSync(path, v1);
    utimesSync(path, PAST / 1000, PAST / 1000);
    // Not a synchronisation: a file is only cached once its ctime is CACHE_SETTLE_MS old.
    await new Promise((r) => setTimeout(r, CACHE_SETTLE_MS + 50));
    const h = serveStatic(root, { recheckMs: 0 }); // every request checks: a change shows at once
    const get = () => call(h, 'GET', '/doc.html', { 'Accept-Encoding': 'gzip' });
    const first = await get();
    assert.deepEqual(decode(first.body, 'gzip'), v1);
    assert.ok(sameMemory((await get()).res.body!.bytes, first.res.body!.bytes), 'cached');
    writeFileSync(path, v2);
    const second = await get();
    assert.deepEqual(decode(second.body, 'gzip'), v2);
    assert.notEqual(second.headers['etag'], first.headers['etag']);
    // Same size, other bytes, mtime put back: the ctime still tells.
    writeFileSync(path, Buffer.from(v2.toString().replace('second', 'SECOND')));
    utimesSync(path, statSync(path).atimeMs / 1000, PAST / 1000);
    const third = await get();
    assert.match(decode(third.body, 'gzip').toString(), /SECOND/);
  });
});

describe('resources', { skip: openFdCount() < 0 && 'needs /proc/self/fd' }, () => {
  const settle = () => new Promise((r) => setImmediate(r));

  test('compressed bodies abandoned half-way or never read release their file and compressor', async () => {
    const h = serveStatic(site.root, { cache: false });
    await call(h, 'GET', '/style.css', { 'Accept-Encoding': 'br' }); // the sidecar index is filled
    await settle();
    const start = openFdCount();
    const kinds = ['gzip', 'br', 'deflate'];
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const path = i % 4 === 0 ? '/style.css' : '/big.txt';
          const res = await h(makeReq('GET', path, { 'Accept-Encoding': kinds[(batch + i) % 3]! }), { length: 0, read: async () => Buffer.alloc(0) });
          if (i % 2 === 0) assert.ok((await res.body!.read()).length > 0);
          await res.body!.close!();
        }),
      );
    }
    assert.equal(activeCompressors(), 0);
    await settle();
    assert.equal(openFdCount(), start);
  });

  test('HEAD, 304, 412 and 406 of coded representations hold no descriptor', async () => {
    for (const cache of [true, false]) {
      const h = serveStatic(site.root, { cache });
      const gzTag = withCoding(etagOf('big.txt'), 'gzip');
      const brTag = (await call(h, 'GET', '/style.css', { 'Accept-Encoding': 'br' })).headers['etag']!;
      await settle();
      const start = openFdCount();
      const cases: [string, string, Record<string, string>, number][] = [
        ['HEAD', '/big.txt', { 'Accept-Encoding': 'gzip' }, 200],
        ['HEAD', '/style.css', { 'Accept-Encoding': 'br' }, 200],
        ['GET', '/big.txt', { 'Accept-Encoding': 'gzip', 'If-None-Match': gzTag }, 304],
        ['GET', '/style.css', { 'Accept-Encoding': 'br', 'If-None-Match': brTag }, 304],
        ['GET', '/big.txt', { 'Accept-Encoding': 'gzip', 'If-Match': '"nope"' }, 412],
        ['GET', '/style.css', { 'Accept-Encoding': 'br', 'If-Match': '"nope"' }, 412],
        ['GET', '/big.txt', { 'Accept-Encoding': 'zstd, identity;q=0' }, 406],
      ];
      for (const [method, path, headers, code] of cases) {
        assert.equal(await statusOf(h, method, path, headers), code, `${method} ${path} ${JSON.stringify(headers)}`);
      }
      await settle();
      assert.equal(openFdCount(), start, `cache ${cache}`);
      assert.equal(activeCompressors(), 0);
    }
  });
});
