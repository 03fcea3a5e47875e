import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatHttpDate } from '../../src/http/date.js';
import { serveStatic } from '../../src/static/index.js';
import { call, parseMultipart, removeTree, statusOf } from './helpers.js';
import { makeSite, BIG_SIZE, type Site } from './fixture.js';

let site: Site;
before(async () => {
  site = await makeSite();
});
after(() => removeTree(site.base));

/** The same tests run against a memory-cached and an uncached handler. */
const VARIANTS = [
  { name: 'cache on', options: {} },
  { name: 'cache off', options: { cache: false } },
] as const;

describe('GET and HEAD of a file', () => {
  test('200 with type, validators, ranges, caching and nosniff', async () => {
    const h = serveStatic(site.root);
    const r = await call(h, 'GET', '/fifty.txt');
    const st = statSync(join(site.root, 'fifty.txt'));
    assert.equal(r.code, 200);
    assert.deepEqual(r.body, site.fifty);
    assert.equal(r.length, 50);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.equal(r.headers['etag'], `"${st.ino.toString(16)}-32-${Math.floor(st.mtimeMs).toString(16)}"`);
    assert.equal(r.headers['last-modified'], formatHttpDate(Math.floor(st.mtimeMs / 1000) * 1000));
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['content-length'], undefined, 'the HTTP layer writes Content-Length');
  });

  test('HEAD has exactly the GET head, and no data', async () => {
    for (const { options } of VARIANTS) {
      const h = serveStatic(site.root, options);
      for (const path of ['/fifty.txt', '/big.bin', '/empty.txt', '/', '/sub/']) {
        const get = await call(h, 'GET', path);
        const head = await call(h, 'HEAD', path);
        assert.equal(head.code, get.code, path);
        assert.equal(head.length, get.length, path);
        assert.deepEqual(head.headers, get.headers, path);
        if (head.res.body?.bytes === undefined) assert.deepEqual(await head.res.body?.read(), Buffer.alloc(0));
      }
    }
  });

  test('HEAD ignores Range (RFC 9110 §14.2: ranges are defined for GET only)', async () => {
    const r = await call(serveStatic(site.root), 'HEAD', '/fifty.txt', { Range: 'bytes=0-9' });
    assert.equal(r.code, 200);
    assert.equal(r.length, 50);
  });

  test('a big file is streamed and arrives whole', async () => {
    for (const { options } of VARIANTS) {
      const r = await call(serveStatic(site.root, options), 'GET', '/big.bin');
      assert.equal(r.code, 200);
      assert.equal(r.length, BIG_SIZE);
      assert.ok(r.body.equals(site.big));
      assert.equal(r.res.body?.bytes, undefined);
    }
  });

  test('a small file is served from memory (body.bytes set) when the cache is on', async () => {
    const r = await call(serveStatic(site.root), 'GET', '/fifty.txt');
    assert.ok(r.res.body?.bytes?.equals(site.fifty));
    const off = await call(serveStatic(site.root, { cache: false }), 'GET', '/fifty.txt');
    assert.equal(off.res.body?.bytes, undefined);
  });

  test('empty file', async () => {
    const r = await call(serveStatic(site.root), 'GET', '/empty.txt');
    assert.equal(r.code, 200);
    assert.equal(r.length, 0);
    assert.equal(r.body.length, 0);
    assert.equal((await call(serveStatic(site.root), 'GET', '/empty.txt', { Range: 'bytes=0-' })).code, 416);
    assert.equal((await call(serveStatic(site.root), 'GET', '/empty.txt', { Range: 'bytes=-1' })).code, 200);
  });

  test('a symlink inside the root is followed; Content-Type comes from the requested name', async () => {
    const r = await call(serveStatic(site.root), 'GET', '/link-in.txt');
    assert.equal(r.code, 200);
    assert.deepEqual(r.body, site.fifty);
    const sub = await call(serveStatic(site.root), 'GET', '/sub-link/b.txt');
    assert.equal(sub.body.toString(), 'b');
  });

  test('decoded exactly once', async () => {
    const h = serveStatic(site.root);
    const r = await call(h, 'GET', '/x%255cname');
    assert.equal(r.body.toString(), 'literal name');
  });
});

for (const { name, options } of VARIANTS) {
  describe(`ranges through the handler (${name})`, () => {
    const rows: [string, number, [number, number] | null][] = [
      ['0-0', 206, [0, 1]],
      ['0-1', 206, [0, 2]],
      ['10-', 206, [10, 50]],
      ['10-60', 206, [10, 50]],
      ['0-60', 206, [0, 50]],
      ['4-3', 200, null],
      ['70-60', 200, null],
      ['-10', 206, [40, 50]],
      ['-60', 206, [0, 50]],
      ['-0', 416, null],
      ['--1', 200, null],
      ['foobar', 200, null],
      ['60-', 416, null],
      ['60-70', 416, null],
    ];
    for (const [spec, code, range] of rows) {
      test(`Range: bytes=${spec} → ${code}`, async () => {
        const r = await call(serveStatic(site.root, options), 'GET', '/fifty.txt', { Range: `bytes=${spec}` });
        assert.equal(r.code, code);
        if (code === 206) {
          const [s, e] = range!;
          assert.equal(r.headers['content-range'], `bytes ${s}-${e - 1}/50`);
          assert.deepEqual(r.body, site.fifty.subarray(s, e));
          assert.equal(r.length, e - s);
          assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
          assert.ok(r.headers['etag']);
          assert.equal(r.res.compress, false);
        } else if (code === 416) {
          assert.equal(r.headers['content-range'], 'bytes */50');
          assert.equal(r.length, 0);
          assert.equal(r.headers['x-content-type-options'], 'nosniff');
        } else {
          assert.equal(r.headers['content-range'], undefined);
          assert.deepEqual(r.body, site.fifty);
        }
      });
    }

    test('whitespace and case variants', async () => {
      const h = serveStatic(site.root, options);
      assert.equal((await call(h, 'GET', '/fifty.txt', { Range: 'BYTES=0-1' })).code, 206);
      assert.equal((await call(h, 'GET', '/fifty.txt', { Range: 'bytes = 0-1' })).code, 200);
      assert.equal((await call(h, 'GET', '/fifty.txt', { Range: 'bytes=' })).code, 200);
    });

    test('a range in the middle of a big file', async () => {
      const h = serveStatic(site.root, options);
      const r = await call(h, 'GET', '/big.bin', { Range: 'bytes=1000000-2999999' });
      assert.equal(r.code, 206);
      assert.ok(r.body.equals(site.big.subarray(1000000, 3000000)));
      const tail = await call(h, 'GET', '/big.bin', { Range: 'bytes=-300000' });
      assert.ok(tail.body.equals(site.big.subarray(BIG_SIZE - 300000)));
    });

    test('several ranges → multipart/byteranges, parsed back byte for byte', async () => {
      for (const [path, data, spec] of [
        ['/fifty.txt', site.fifty, 'bytes=0-4,10-14,-5'],
        ['/fifty.txt', site.fifty, 'bytes=40-,0-0'],
        ['/big.bin', site.big, 'bytes=0-99,300000-900000,-70000'],
      ] as const) {
        const r = await call(serveStatic(site.root, options), 'GET', path, { Range: spec });
        assert.equal(r.code, 206);
        assert.equal(r.headers['content-range'], undefined);
        assert.equal(r.res.compress, false);
        const parts = parseMultipart(r.body, r.headers['content-type']!);
        const wanted = spec
          .slice(6)
          .split(',')
          .map((s) => {
            const [a, b] = s.split('-');
            if (a === '') return [data.length - Number(b), data.length - 1];
            return [Number(a), b === '' ? data.length - 1 : Math.min(Number(b), data.length - 1)];
          });
        assert.equal(parts.length, wanted.length);
        for (let i = 0; i < parts.length; i++) {
          const [s, e] = wanted[i]!;
          assert.equal(parts[i]!.headers['content-range'], `bytes ${s}-${e}/${data.length}`);
          assert.equal(parts[i]!.headers['content-type'], path.endsWith('.txt') ? 'text/plain; charset=utf-8' : 'application/octet-stream');
          assert.ok(parts[i]!.data.equals(data.subarray(s!, e! + 1)), `part ${i}`);
        }
      }
    });

    test('overlapping ranges coalesce into one part', async () => {
      const r = await call(serveStatic(site.root, options), 'GET', '/fifty.txt', { Range: 'bytes=0-10,5-20' });
      assert.equal(r.code, 206);
      assert.equal(r.headers['content-range'], 'bytes 0-20/50');
      assert.deepEqual(r.body, site.fifty.subarray(0, 21));
    });

    test('boundaries are random', async () => {
      const h = serveStatic(site.root, options);
      const a = await call(h, 'GET', '/fifty.txt', { Range: 'bytes=0-1,3-4' });
      const b = await call(h, 'GET', '/fifty.txt', { Range: 'bytes=0-1,3-4' });
      assert.notEqual(a.headers['content-type'], b.headers['content-type']);
    });

    test('too many ranges → the whole file, 200', async () => {
      const spec = Array.from({ length: 33 }, (_, i) => `${i}-${i}`).join(',');
      const r = await call(serveStatic(site.root, options), 'GET', '/fifty.txt', { Range: `bytes=${spec}` });
      assert.equal(r.code, 200);
      assert.deepEqual(r.body, site.fifty);
    });

    test('If-Range decides between 206 and 200', async () => {
      const h = serveStatic(site.root, options);
      const full = await call(h, 'GET', '/fifty.txt');
      const etag = full.headers['etag']!;
      const lm = full.headers['last-modified']!;
      const range = { Range: 'bytes=0-9' };
      assert.equal((await call(h, 'GET', '/fifty.txt', { ...range, 'If-Range': etag })).code, 206);
      assert.equal((await call(h, 'GET', '/fifty.txt', { ...range, 'If-Range': `W/${etag}` })).code, 200);
      assert.equal((await call(h, 'GET', '/fifty.txt', { ...range, 'If-Range': '"stale"' })).code, 200);
      assert.equal((await call(h, 'GET', '/fifty.txt', { ...range, 'If-Range': lm })).code, 206);
      assert.equal((await call(h, 'GET', '/fifty.txt', { ...range, 'If-Range': 'Thu, 01 Jan 2015 00:00:00 GMT' })).code, 200);
      // If-Range without Range is ignored.
      assert.equal((await call(h, 'GET', '/fifty.txt', { 'If-Range': '"stale"' })).code, 200);
    });
  });

  describe(`conditional requests through the handler (${name})`, () => {
    test('If-None-Match → 304 with validators, Cache-Control and no body', async () => {
      const h = serveStatic(site.root, options);
      const full = await call(h, 'GET', '/fifty.txt');
      const r = await call(h, 'GET', '/fifty.txt', { 'If-None-Match': full.headers['etag']! });
      assert.equal(r.code, 304);
      assert.equal(r.headers['etag'], full.headers['etag']);
      assert.equal(r.headers['last-modified'], full.headers['last-modified']);
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.equal(r.headers['content-type'], undefined);
      assert.equal(r.headers['content-range'], undefined);
      assert.equal(r.res.body, undefined);
      const head = await call(h, 'HEAD', '/fifty.txt', { 'If-None-Match': full.headers['etag']! });
      assert.equal(head.code, 304);
    });

    test('If-None-Match beats a Range', async () => {
      const h = serveStatic(site.root, options);
      const etag = (await call(h, 'GET', '/fifty.txt')).headers['etag']!;
      assert.equal((await call(h, 'GET', '/fifty.txt', { 'If-None-Match': etag, Range: 'bytes=0-1' })).code, 304);
    });

    test('If-Modified-Since', async () => {
      const h = serveStatic(site.root, options);
      const lm = (await call(h, 'GET', '/fifty.txt')).headers['last-modified']!;
      assert.equal((await call(h, 'GET', '/fifty.txt', { 'If-Modified-Since': lm })).code, 304);
      assert.equal((await call(h, 'GET', '/fifty.txt', { 'If-Modified-Since': 'Thu, 01 Jan 2015 00:00:00 GMT' })).code, 200);
      assert.equal((await call(h, 'GET', '/fifty.txt', { 'If-Modified-Since': 'garbage' })).code, 200);
      assert.equal((await call(h, 'GET', '/fifty.txt', { 'If-Modified-Since': lm, 'If-None-Match': '"x"' })).code, 200);
    });

    test('If-Match and If-Unmodified-Since → 412', async () => {
      const h = serveStatic(site.root, options);
      const full = await call(h, 'GET', '/fifty.txt');
      assert.equal((await call(h, 'GET', '/fifty.txt', { 'If-Match': '"nope"' })).code, 412);
      assert.equal((await call(h, 'GET', '/fifty.txt', { 'If-Match': full.headers['etag']! })).code, 200);
      assert.equal((await call(h, 'GET', '/fifty.txt', { 'If-Unmodified-Since': 'Thu, 01 Jan 2015 00:00:00 GMT' })).code, 412);
      assert.equal(
        (await call(h, 'GET', '/fifty.txt', { 'If-Match': full.headers['etag']!, 'If-Unmodified-Since': 'Thu, 01 Jan 2015 00:00:00 GMT' })).code,
        200,
      );
    });

    test('big file: 304 and 412 close the file they opened', async () => {
      const h = serveStatic(site.root, options);
      const etag = (await call(h, 'GET', '/big.bin')).headers['etag']!;
      assert.equal((await call(h, 'GET', '/big.bin', { 'If-None-Match': etag })).code, 304);
      assert.equal((await call(h, 'GET', '/big.bin', { 'If-Match': '"x"' })).code, 412);
    });
  });
}

describe('options', () => {
  test('cacheControl, maxAge, immutable', async () => {
    const cc = async (o: object) => (await call(serveStatic(site.root, o), 'GET', '/app.js')).headers['cache-control'];
    assert.equal(await cc({ cacheControl: 'no-store' }), 'no-store');
    assert.equal(await cc({ maxAge: 3600 }), 'public, max-age=3600');
    assert.equal(await cc({ maxAge: 31536000, immutable: true }), 'public, max-age=31536000, immutable');
  });
  test('etag: false, lastModified: false', async () => {
    const r = await call(serveStatic(site.root, { etag: false, lastModified: false }), 'GET', '/app.js');
    assert.equal(r.headers['etag'], undefined);
    assert.equal(r.headers['last-modified'], undefined);
    const c = await call(serveStatic(site.root, { etag: false }), 'GET', '/app.js', { 'If-None-Match': '*' });
    assert.equal(c.code, 304, '"*" matches any current representation');
  });
  test('invalid options are refused at creation', () => {
    assert.throws(() => serveStatic(site.root, { index: '../x' }), TypeError);
    assert.throws(() => serveStatic(site.root, { dotfiles: 'show' as 'allow' }), TypeError);
    assert.throws(() => serveStatic(site.root, { cacheMaxBytes: -1 }), TypeError);
  });
});

describe('methods', () => {
  test('405 with Allow for other methods', async () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      await assert.rejects(call(serveStatic(site.root), m, '/fifty.txt'), (err: { status: number; headers: Record<string, string> }) => {
        assert.equal(err.status, 405);
        assert.equal(err.headers['Allow'], 'GET, HEAD, OPTIONS');
        return true;
      });
    }
  });
  test('501 for methods nobody recognizes (methods are case-sensitive: "get" is not GET)', async () => {
    for (const m of ['get', 'MKCOLA', 'XGET']) {
      await assert.rejects(call(serveStatic(site.root), m, '/fifty.txt'), (err: { status: number }) => err.status === 501);
    }
  });
  test('OPTIONS → 204 with Allow', async () => {
    const r = await call(serveStatic(site.root), 'OPTIONS', '/fifty.txt');
    assert.equal(r.code, 204);
    assert.equal(r.headers['allow'], 'GET, HEAD, OPTIONS');
    assert.equal((await call(serveStatic(site.root), 'OPTIONS', '*')).code, 204);
  });
});

describe('dotfiles', () => {
  test('hidden by default (404), /.well-known/ served', async () => {
    const h = serveStatic(site.root);
    assert.equal(await statusOf(h, 'GET', '/.env'), 404);
    assert.equal(await statusOf(h, 'GET', '/sub/.hidden'), 404);
    assert.equal(await statusOf(h, 'GET', '/%2eenv'), 404);
    assert.equal(await statusOf(h, 'GET', '/.well-known/.hidden'), 404);
    const r = await call(h, 'GET', '/.well-known/security.txt');
    assert.equal(r.code, 200);
    assert.match(r.body.toString(), /Contact/);
  });
  test('deny → 403, allow → served', async () => {
    assert.equal(await statusOf(serveStatic(site.root, { dotfiles: 'deny' }), 'GET', '/.env'), 403);
    const r = await call(serveStatic(site.root, { dotfiles: 'allow' }), 'GET', '/.env');
    assert.equal(r.body.toString(), site.secret);
  });
});
