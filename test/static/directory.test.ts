import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serveStatic } from '../../src/static/index.js';
import { prefersJson, readListing } from '../../src/static/listing.js';
import { call, removeTree, statusOf } from './helpers.js';
import { makeSite, type Site } from './fixture.js';

let site: Site;
before(async () => {
  site = await makeSite();
});
after(() => removeTree(site.base));

describe('directory URLs', () => {
  test('"/" serves index.html', async () => {
    const r = await call(serveStatic(site.root), 'GET', '/');
    assert.equal(r.code, 200);
    assert.equal(r.body.toString(), '<h1>home</h1>');
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  });

  test('a subdirectory with an index', async () => {
    for (const cache of [true, false]) {
      const h = serveStatic(site.root, { cache });
      const r = await call(h, 'GET', '/withindex/');
      assert.equal(r.body.toString(), '<p>sub index</p>');
      assert.equal((await call(h, 'GET', '/withindex/')).body.toString(), '<p>sub index</p>', 'twice (cached)');
    }
  });

  test('without the slash → 301 to the slash form, query kept', async () => {
    const h = serveStatic(site.root);
    const r = await call(h, 'GET', '/withindex?a=1&b=%20');
    assert.equal(r.code, 301);
    assert.equal(r.headers['location'], '/withindex/?a=1&b=%20');
    assert.equal((await call(h, 'GET', '/sub')).headers['location'], '/sub/');
    assert.equal((await call(h, 'HEAD', '/sub')).code, 301);
  });

  test('the Location is rebuilt from the normalised path, properly encoded', async () => {
    mkdirSync(join(site.root, 'a dir é'), { recursive: true });
    const h = serveStatic(site.root);
    assert.equal((await call(h, 'GET', '/a%20dir%20%C3%A9')).headers['location'], '/a%20dir%20%C3%A9/');
    assert.equal((await call(h, 'GET', '/sub/zdir/../zdir')).headers['location'], '/sub/zdir/');
    // "//sub" must not become a protocol-relative redirect to host "sub".
    assert.equal((await call(h, 'GET', '//sub')).headers['location'], '/sub/');
  });

  test('"/file/" is not a directory → 404', async () => {
    assert.equal(await statusOf(serveStatic(site.root), 'GET', '/fifty.txt/'), 404);
    assert.equal(await statusOf(serveStatic(site.root, { cache: false }), 'GET', '/fifty.txt/'), 404);
  });

  test('HTML listing: escaped names, encoded links, directories first, no dotfiles', async () => {
    const r = await call(serveStatic(site.root), 'GET', '/sub/');
    assert.equal(r.code, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['vary'], 'Accept');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    const html = r.body.toString();
    assert.match(html, /<title>Index of \/sub\/<\/title>/);
    assert.ok(html.includes('<a href="a%20file%20%26%20%3Cx%3E.txt"><i class="icon file"></i>a file &amp; &lt;x&gt;.txt</a>'), html);
    assert.ok(!html.includes('<x>'));
    assert.ok(!html.includes('.hidden'));
    assert.ok(html.includes('<a href="../">'));
    const zdir = html.indexOf('href="zdir/"');
    const btxt = html.indexOf('href="b.txt"');
    assert.ok(zdir > 0 && btxt > zdir, 'directories first');
    assert.match(html, /<td class="size" title="5 bytes">5 B<\/td>/); // size of "weird"
    assert.ok(!/<(script|link rel="stylesheet"|img)\b/.test(html), 'nothing to load');
  });

  test('a listing has an ETag: 304 when it matches (also with a coding suffix), 200 once the folder changes', async () => {
    const h = serveStatic(site.root);
    const r = await call(h, 'GET', '/sub/');
    const etag = r.headers['etag'] as string;
    assert.match(etag, /^"[\w-]{22}"$/);
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal((await call(h, 'GET', '/sub/', { 'If-None-Match': etag })).code, 304);
    assert.equal((await call(h, 'GET', '/sub/', { 'If-None-Match': `${etag.slice(0, -1)}-gzip"` })).code, 304);
    assert.equal((await call(h, 'GET', '/sub/', { 'If-None-Match': '"other"' })).code, 200);
    assert.equal((await call(h, 'GET', '/sub/', { 'If-Match': '"other"' })).code, 412);
    const json = await call(h, 'GET', '/sub/', { Accept: 'application/json' });
    assert.notEqual(json.headers['etag'], etag, 'each representation its own tag');
    writeFileSync(join(site.root, 'sub', 'new.txt'), 'n');
    try {
      assert.equal((await call(h, 'GET', '/sub/', { 'If-None-Match': etag })).code, 200);
    } finally {
      rmSync(join(site.root, 'sub', 'new.txt'));
    }
  });

  test('?sort=size|date|name&order=: folders stay first', async () => {
    const h = serveStatic(site.root);
    const names = async (q: string) =>
      JSON.parse((await call(h, 'GET', `/sub/?${q}`, { Accept: 'application/json' })).body.toString()).entries.map((e: { name: string }) => e.name);
    const bySize = await names('sort=size');
    assert.equal(bySize[0], 'zdir');
    assert.deepEqual(await names('sort=name&order=desc'), ['zdir', ...(await names('sort=name')).slice(1).reverse()]);
    assert.deepEqual(await names('sort=bogus'), await names(''));
  });

  test('JSON listing for Accept: application/json', async () => {
    const r = await call(serveStatic(site.root), 'GET', '/sub/', { Accept: 'application/json' });
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    const json = JSON.parse(r.body.toString());
    assert.equal(json.path, '/sub/');
    assert.equal(json.truncated, false);
    assert.deepEqual(
      json.entries.map((e: { name: string; type: string; size: number | null }) => [e.name, e.type, e.size]),
      [
        ['zdir', 'directory', null],
        ['a file & <x>.txt', 'file', 5],
        ['b.txt', 'file', 1],
      ],
    );
    assert.match(json.entries[1].mtime, /^\d{4}-\d\d-\d\dT/);
  });

  test('symlinks leading outside the root are not listed; those inside are', async () => {
    const r = await call(serveStatic(site.root, { index: false }), 'GET', '/', { Accept: 'application/json' });
    const names = JSON.parse(r.body.toString()).entries.map((e: { name: string }) => e.name);
    assert.ok(names.includes('link-in.txt') && names.includes('sub-link'));
    assert.ok(!names.includes('link-out.txt') && !names.includes('dir-out') && !names.includes('evil'), names.join());
    const all = await call(serveStatic(site.root, { index: false, followSymlinksOutside: true }), 'GET', '/', { Accept: 'application/json' });
    assert.ok(JSON.parse(all.body.toString()).entries.some((e: { name: string }) => e.name === 'link-out.txt'));
  });

  test('dotfiles: allow shows them in listings', async () => {
    const r = await call(serveStatic(site.root, { dotfiles: 'allow' }), 'GET', '/sub/', { Accept: 'application/json' });
    assert.ok(JSON.parse(r.body.toString()).entries.some((e: { name: string }) => e.name === '.hidden'));
  });

  test('empty directory lists nothing; listing: false → 404', async () => {
    const r = await call(serveStatic(site.root), 'GET', '/emptydir/', { Accept: 'application/json' });
    assert.deepEqual(JSON.parse(r.body.toString()).entries, []);
    assert.equal(await statusOf(serveStatic(site.root, { listing: false }), 'GET', '/emptydir/'), 404);
  });

  test('index: false lists the root instead', async () => {
    const r = await call(serveStatic(site.root, { index: false }), 'GET', '/', { Accept: 'application/json' });
    const names = JSON.parse(r.body.toString()).entries.map((e: { name: string }) => e.name);
    assert.ok(names.includes('index.html') && names.includes('fifty.txt'));
    assert.ok(!names.includes('.env'));
  });

  test('listing is bounded', async () => {
    const dir = join(site.base, 'many');
    mkdirSync(dir);
    for (let i = 0; i < 30; i++) writeFileSync(join(dir, `f${i}`), '');
    const l = await readListing(dir, false, null, 10);
    assert.equal(l.entries.length, 10);
    assert.equal(l.truncated, true);
  });

  test('prefersJson', () => {
    assert.equal(prefersJson(undefined), false);
    assert.equal(prefersJson('application/json'), true);
    assert.equal(prefersJson('text/html,application/xhtml+xml,*/*;q=0.8'), false);
    assert.equal(prefersJson('*/*'), false);
    assert.equal(prefersJson('application/*'), true);
    assert.equal(prefersJson('application/json;q=0.5, text/html'), false);
    assert.equal(prefersJson('application/json, text/html;q=0.1'), true);
  });
});

describe('prefix', () => {
  test('serves the root under a mount path', async () => {
    for (const prefix of ['/assets', '/assets/', '/a%20b/c']) {
      const h = serveStatic(site.root, { prefix });
      const mount = prefix.replace(/\/$/, '');
      assert.deepEqual((await call(h, 'GET', `${mount}/fifty.txt`)).body, site.fifty, prefix);
      assert.equal((await call(h, 'GET', `${mount}/`)).body.toString(), '<h1>home</h1>');
      assert.equal((await call(h, 'GET', mount)).headers['location'], `${mount}/`);
      assert.equal((await call(h, 'GET', `${mount}/sub?x`)).headers['location'], `${mount}/sub/?x`);
      const listing = await call(h, 'GET', `${mount}/sub/`);
      assert.match(listing.body.toString(), new RegExp(`Index of ${decodeURIComponent(mount)}/sub/`));
    }
  });
  test('paths outside the mount path → 404', async () => {
    const h = serveStatic(site.root, { prefix: '/assets' });
    assert.equal(await statusOf(h, 'GET', '/fifty.txt'), 404);
    assert.equal(await statusOf(h, 'GET', '/assetsx/fifty.txt'), 404);
    assert.equal(await statusOf(h, 'GET', '/assets/../fifty.txt'), 404);
    assert.equal(await statusOf(h, 'GET', '/'), 404);
    assert.equal(await statusOf(h, 'GET', '/assets/../../fifty.txt'), 400);
  });
  test('an invalid prefix is refused at creation', () => {
    assert.throws(() => serveStatic(site.root, { prefix: 'assets' }), TypeError);
    assert.throws(() => serveStatic(site.root, { prefix: '/a?b' }), TypeError);
    assert.throws(() => serveStatic(site.root, { prefix: '/../x' }), TypeError);
  });
});

describe('SPA fallback', () => {
  test('unknown paths without an extension get /index.html with 200', async () => {
    for (const cache of [true, false]) {
      const h = serveStatic(site.root, { spa: true, cache });
      for (const path of ['/app/route', '/app/route/', '/deep/a/b/c']) {
        const r = await call(h, 'GET', path);
        assert.equal(r.code, 200, path);
        assert.equal(r.body.toString(), '<h1>home</h1>');
      }
    }
  });
  test('paths that look like files still 404; real files are served', async () => {
    const h = serveStatic(site.root, { spa: true });
    assert.equal(await statusOf(h, 'GET', '/missing.js'), 404);
    assert.equal((await call(h, 'GET', '/app.js')).body.toString(), 'console.log(1)');
    assert.equal(await statusOf(h, 'GET', '/.env'), 404);
  });
  test('off by default', async () => {
    assert.equal(await statusOf(serveStatic(site.root), 'GET', '/app/route'), 404);
  });
});
