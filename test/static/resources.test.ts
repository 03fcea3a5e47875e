import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, renameSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FieldList } from '../../src/http/fields.js';
import type { BodyReader, Handler } from '../../src/http/types.js';
import { cacheEntry, cacheLookup, cacheStore, createFileCache, isCacheable } from '../../src/static/file-cache.js';
import { FileChangedError, respondWithRepresentation, serveStatic } from '../../src/static/index.js';
import { describeFile } from '../../src/static/representation.js';
import { pooledBufferBytes } from '../../src/static/buffer-pool.js';
import { call, makeReq, openFdCount, PAST, patternBytes, removeTree } from './helpers.js';
import { makeSite, type Site } from './fixture.js';

let site: Site;
before(async () => {
  site = await makeSite();
});
after(() => removeTree(site.base));

const HAS_PROC = openFdCount() >= 0;
const settle = () => new Promise((r) => setImmediate(r));

async function bodyOf(h: Handler, method: string, path: string, headers: Record<string, string> = {}): Promise<BodyReader> {
  const res = await h(makeReq(method, path, headers), { length: 0, read: async () => Buffer.alloc(0) });
  assert.ok(res.body, `${method} ${path} has a body`);
  return res.body;
}

describe('file descriptors', { skip: !HAS_PROC && 'needs /proc/self/fd' }, () => {
  test('1,000 bodies abandoned half-way leave no descriptor open', async () => {
    const h = serveStatic(site.root, { cache: false });
    await settle();
    const start = openFdCount();
    const kinds: Record<string, string>[] = [{}, { Range: 'bytes=100-2000000' }, { Range: 'bytes=0-9,1000000-1999999,-5' }];
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const body = await bodyOf(h, 'GET', '/big.bin', kinds[(batch + i) % kinds.length]);
          const chunk = await body.read();
          assert.ok(chunk.length > 0);
          await body.close!();
        }),
      );
    }
    await settle();
    assert.equal(openFdCount(), start);
  });

  test('bodies closed without any read leave no descriptor open', async () => {
    const h = serveStatic(site.root, { cache: false });
    await settle();
    const start = openFdCount();
    for (let i = 0; i < 200; i++) await (await bodyOf(h, 'GET', i % 2 ? '/big.bin' : '/fifty.txt')).close!();
    await settle();
    assert.equal(openFdCount(), start);
  });

  test('a GET body holds one descriptor until closed; close() twice is harmless', async () => {
    const h = serveStatic(site.root, { cache: false });
    await settle();
    const start = openFdCount();
    const body = await bodyOf(h, 'GET', '/big.bin');
    assert.equal(openFdCount(), start + 1);
    await body.close!();
    await body.close!();
    assert.equal(openFdCount(), start);
    await assert.rejects(body.read(), /after close/);
  });

  test('HEAD, 304, 412, 416, 301 and listings hold no descriptor', async () => {
    for (const cache of [true, false]) {
      const h = serveStatic(site.root, { cache });
      const etag = (await call(h, 'GET', '/big.bin')).headers['etag']!;
      await settle();
      const start = openFdCount();
      const cases: [string, string, Record<string, string>, number][] = [
        ['HEAD', '/big.bin', {}, 200],
        ['HEAD', '/fifty.txt', {}, 200],
        ['HEAD', '/', {}, 200],
        ['GET', '/big.bin', { 'If-None-Match': etag }, 304],
        ['GET', '/big.bin', { 'If-Match': '"x"' }, 412],
        ['GET', '/big.bin', { Range: 'bytes=999999999-' }, 416],
        ['GET', '/sub', {}, 301],
        ['GET', '/sub/', {}, 200],
      ];
      for (const [method, path, headers, code] of cases) {
        const res = await h(makeReq(method, path, headers), { length: 0, read: async () => Buffer.alloc(0) });
        assert.equal(res.code, code, `${method} ${path}`);
        // Counted before the body is closed: nothing may be left for close() to release.
        assert.equal(openFdCount(), start, `${method} ${path} ${JSON.stringify(headers)}`);
        await res.body?.close?.();
      }
    }
  });

  test('refusals (404, 403, 405) hold no descriptor', async () => {
    const h = serveStatic(site.root);
    await settle();
    const start = openFdCount();
    for (const path of ['/missing', '/link-out.txt', '/fifty.txt/', '/withindex/missing.txt']) {
      await assert.rejects(call(h, 'GET', path));
    }
    await assert.rejects(call(h, 'POST', '/fifty.txt'));
    assert.equal(openFdCount(), start);
  });

  test('an exception while answering closes the file handle', async () => {
    await settle();
    const start = openFdCount();
    const fh = await open(join(site.root, 'fifty.txt'));
    const st = await fh.stat();
    const rep = describeFile(st, 'text/plain', { cacheControl: 'no-cache', etag: true, lastModified: true });
    const headers = { get: () => { throw new Error('boom'); } } as unknown as FieldList;
    await assert.rejects(respondWithRepresentation({ method: 'GET', headers }, rep, { fh }, 65536), /boom/);
    assert.equal(openFdCount(), start);
  });

  test('a FIFO in the root is refused without blocking', async (t) => {
    const fifo = join(site.root, 'pipe.txt');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      t.skip('mkfifo not available');
      return;
    }
    await settle();
    const start = openFdCount();
    for (const cache of [true, false]) {
      await assert.rejects(call(serveStatic(site.root, { cache }), 'GET', '/pipe.txt'), { status: 404 });
      // Once the root is resolved, a file is opened on the event loop (openFileNow): that open must not block either.
      const warm = serveStatic(site.root, { cache });
      assert.equal((await call(warm, 'GET', '/fifty.txt')).code, 200);
      await assert.rejects(call(warm, 'GET', '/pipe.txt'), { status: 404 });
    }
    assert.equal(openFdCount(), start);
    unlinkSync(fifo);
  });
});

describe('read buffers', () => {
  test('concurrent downloads sharing the pool each get their own bytes', async () => {
    const h = serveStatic(site.root, { cache: false });
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          call(h, 'GET', '/big.bin', i % 3 === 0 ? { Range: `bytes=${i * 1000}-` } : {}),
        ),
      );
      results.forEach((r, i) => {
        const want = i % 3 === 0 ? site.big.subarray(i * 1000) : site.big;
        assert.ok(r.body.equals(want), `download ${i}`);
      });
    }
    assert.ok(pooledBufferBytes() > 0, 'buffers went back to the pool');
  });
});

describe('files that change while being sent', () => {
  test('a file that shrinks makes read() throw; its descriptor is still released', async () => {
    const path = join(site.base, 'shrink');
    mkdirSync(path);
    writeFileSync(join(path, 'f.bin'), patternBytes(2 * 1024 * 1024));
    const h = serveStatic(path, { cache: false });
    await settle();
    const start = openFdCount();
    const body = await bodyOf(h, 'GET', '/f.bin');
    assert.ok((await body.read()).length > 0);
    truncateSync(join(path, 'f.bin'), 1000);
    // A chunk read ahead before the truncation may still arrive; the body never completes.
    await assert.rejects(async () => {
      while ((await body.read()).length > 0);
    }, FileChangedError);
    await body.close!();
    if (HAS_PROC) assert.equal(openFdCount(), start);
  });

  test('a file that grows makes the last read() throw', async () => {
    const path = join(site.base, 'grow');
    mkdirSync(path);
    writeFileSync(join(path, 'small.bin'), patternBytes(10_000));
    writeFileSync(join(path, 'large.bin'), patternBytes(600 * 1024));
    const h = serveStatic(path, { cache: false });
    for (const name of ['small.bin', 'large.bin']) {
      const body = await bodyOf(h, 'GET', `/${name}`);
      appendFileSync(join(path, name), 'more');
      const read = async () => {
        let total = 0;
        for (;;) {
          const c = await body.read();
          if (c.length === 0) return total;
          total += c.length;
        }
      };
      await assert.rejects(read(), /grew/);
      await body.close!();
    }
  });

  test('a range that ends before the end of the file is unaffected by growth', async () => {
    const path = join(site.base, 'grow2');
    mkdirSync(path);
    const data = patternBytes(5000);
    writeFileSync(join(path, 'f.bin'), data);
    const h = serveStatic(path, { cache: false });
    const body = await bodyOf(h, 'GET', '/f.bin', { Range: 'bytes=0-99' });
    appendFileSync(join(path, 'f.bin'), 'more');
    assert.deepEqual(Buffer.from(await body.read()), data.subarray(0, 100));
    await body.close!();
  });

  test('a file whose size is a multiple of the buffer still detects growth', async () => {
    const path = join(site.base, 'grow3');
    mkdirSync(path);
    writeFileSync(join(path, 'f.bin'), patternBytes(4 * 1024));
    const h = serveStatic(path, { cache: false, readBufferBytes: 1024 });
    const body = await bodyOf(h, 'GET', '/f.bin');
    appendFileSync(join(path, 'f.bin'), 'x');
    let err: unknown;
    try {
      while ((await body.read()).length > 0);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof FileChangedError);
    await body.close!();
  });
});

describe('the in-memory cache', () => {
  function cachedSite(): { dir: string; file: string } {
    const dir = join(site.base, `cache-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    const file = join(dir, 'hot.txt');
    writeFileSync(file, 'version one');
    utimesSync(file, PAST / 1000, PAST / 1000);
    return { dir, file };
  }

  test('serves the new content after the file changes (size and mtime)', async () => {
    const { dir, file } = cachedSite();
    await new Promise((r) => setTimeout(r, 1100)); // let the ctime settle
    const h = serveStatic(dir, { recheckMs: 0 }); // every request checks: a change shows at once
    const a = await call(h, 'GET', '/hot.txt');
    assert.equal(a.body.toString(), 'version one');
    assert.ok(a.res.body?.bytes, 'served from memory');
    assert.equal((await call(h, 'GET', '/hot.txt')).body.toString(), 'version one');

    writeFileSync(file, 'version two, longer');
    const b = await call(h, 'GET', '/hot.txt');
    assert.equal(b.body.toString(), 'version two, longer');
    assert.notEqual(b.headers['etag'], a.headers['etag']);

    // Same size, mtime set back to the old value: the ctime still tells.
    writeFileSync(file, 'version TWO, LONGER');
    utimesSync(file, PAST / 1000, PAST / 1000);
    assert.equal((await call(h, 'GET', '/hot.txt')).body.toString(), 'version TWO, LONGER');

    // Replaced by rename (a new inode), as editors and deploy tools do.
    writeFileSync(file + '.tmp', 'version three');
    renameSync(file + '.tmp', file);
    assert.equal((await call(h, 'GET', '/hot.txt')).body.toString(), 'version three');

    unlinkSync(file);
    await assert.rejects(call(h, 'GET', '/hot.txt'), { status: 404 });
  });

  test('a conditional GET on a cached entry is answered from it', async () => {
    const { dir } = cachedSite();
    await new Promise((r) => setTimeout(r, 1100));
    const h = serveStatic(dir);
    const etag = (await call(h, 'GET', '/hot.txt')).headers['etag']!;
    const r = await call(h, 'GET', '/hot.txt', { 'If-None-Match': etag });
    assert.equal(r.code, 304);
    const part = await call(h, 'GET', '/hot.txt', { Range: 'bytes=8-' });
    assert.equal(part.body.toString(), 'one');
    assert.ok(part.res.body?.bytes);
  });

  test('a file changed within the settle time is not cached', () => {
    const cache = createFileCache(1000, 100);
    const now = Date.now();
    const stamp = { dev: 1, ino: 1, size: 10, mtimeMs: now - 10, ctimeMs: now - 10 };
    assert.equal(isCacheable(cache, stamp, now), false);
    assert.equal(isCacheable(cache, { ...stamp, mtimeMs: now - 5000, ctimeMs: now - 5000 }, now), true);
    assert.equal(isCacheable(cache, { ...stamp, size: 101, mtimeMs: now - 5000, ctimeMs: now - 5000 }, now), false);
  });

  test('LRU eviction keeps the total under the limit', () => {
    const cache = createFileCache(100, 40);
    const rep = describeFile({ ino: 1, size: 30, mtimeMs: PAST }, 'text/plain', { cacheControl: '', etag: true, lastModified: true });
    const entry = (path: string, size: number) =>
      cacheEntry(path, { dev: 1, ino: 1, size, mtimeMs: PAST, ctimeMs: PAST }, Buffer.alloc(size), rep);
    cacheStore(cache, entry('a', 30));
    cacheStore(cache, entry('b', 30));
    cacheStore(cache, entry('c', 30));
    assert.equal(cache.bytes, 90);
    cacheLookup(cache, 'a'); // a is now the most recently used
    cacheStore(cache, entry('d', 30)); // evicts b
    assert.deepEqual([...cache.entries.keys()], ['c', 'a', 'd']);
    assert.equal(cache.bytes, 90);
    cacheStore(cache, entry('e', 41)); // too big for the per-file limit
    assert.equal(cache.entries.has('e'), false);
    cacheStore(cache, entry('a', 10)); // replacing an entry replaces its bytes
    assert.equal(cache.bytes, 70);
  });
});

