/**
 * A site served by the built command with a weft.json: clean URLs, error
 * pages, header rules (CORS per path), cache rules, redirects, rewrites, the
 * listing, the config file hidden, SIGHUP reloads; then basic auth, SPA and
 * weft's own error page in a second process. Two processes for the file.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { hasCommands } from '../support.js';
import { startWeft, stopAll, type Weft } from './support.js';

const run = promisify(execFile);
const hasCurl = hasCommands('curl');

const CONFIG = {
  cleanUrls: 'redirect',
  cacheControl: 'no-store', // the command line's --cache-control wins
  errorPages: { '4xx': '/errors/4xx.html' },
  headers: [
    { source: '/**', headers: { 'X-Frame-Options': 'DENY' } },
    { source: '/api/**', headers: { 'Access-Control-Allow-Origin': 'https://app.example' } },
  ],
  cache: [{ source: '/assets/**', cacheControl: 'public, max-age=31536000, immutable' }],
  redirects: [
    { source: '/blog/:year/:slug', destination: '/posts/:slug', status: 308 },
    { source: '/old/**', destination: 'https://new.example/*', status: 302 },
  ],
  rewrites: [{ source: '/app/**', destination: '/app/index.html' }],
};

let dir: string;
let site: string;
let w: Weft;

function write(path: string, content: string | Buffer): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-site-'));
  site = join(dir, 'site');
  const files: Record<string, string | Buffer> = {
    'about.html': '<h1>about</h1>',
    '404.html': '<h1>custom 404</h1>',
    'errors/4xx.html': '<h1>some 4xx</h1>',
    'docs/index.html': '<h1>docs</h1>',
    'assets/app.js': 'console.log(1)',
    'app/index.html': '<p>app shell</p>',
    'app/real.js': 'real',
    'api/data.json': '{"a":1}',
    'list/a.txt': 'a',
    'list/b.bin': Buffer.alloc(3000),
    'list/c/x': 'x',
    'weft.json': JSON.stringify(CONFIG, null, 2),
  };
  for (const [name, content] of Object.entries(files)) write(join(site, name), content);
  w = await startWeft([site, '--cors', '--cache-control', 'public, max-age=5', '--log', 'off']);
});
after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) => fetch(`${w.base}${path}`, { redirect: 'manual', ...init });

describe('a site with a weft.json', () => {
  test('clean URLs: /about serves about.html; /about.html and /docs/index.html redirect to the clean form', async () => {
    const r = await get('/about');
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '<h1>about</h1>');
    const html = await get('/about.html?x=1');
    assert.equal(html.status, 301);
    assert.equal(html.headers.get('location'), '/about?x=1');
    assert.equal((await get('/docs/index.html')).headers.get('location'), '/docs/');
    assert.equal(await (await get('/docs/')).text(), '<h1>docs</h1>');
    assert.equal((await get('/docs')).headers.get('location'), '/docs/', 'directories keep their 301 to the slash');
  });

  test('error pages: 404.html with status 404, the 4xx page for a 405 (Allow kept), no validators of their own', async () => {
    const r = await get('/nope', { headers: { 'if-none-match': '*' } });
    assert.equal(r.status, 404);
    assert.equal(await r.text(), '<h1>custom 404</h1>');
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('etag'), null);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', 'header rules reach error pages');
    const head = await get('/nope', { method: 'HEAD' });
    assert.equal(head.status, 404);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const post = await get('/about.html', { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.equal(await post.text(), '<h1>some 4xx</h1>');
  });

  test('header rules per path: CORS for one origin on /api/**, --cors everywhere else', async () => {
    const origin = { origin: 'https://elsewhere.example' };
    const api = await get('/api/data.json', { headers: origin });
    assert.equal(api.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(api.headers.get('x-frame-options'), 'DENY');
    const other = await get('/about', { headers: origin });
    assert.equal(other.headers.get('access-control-allow-origin'), '*');
    const pre = await get('/about', { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'GET' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  });

  test('cache rules per path, repeated on 304; --cache-control for the rest; a listing revalidates with its ETag', async () => {
    const asset = await get('/assets/app.js');
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const again = await get('/assets/app.js', { headers: { 'if-none-match': asset.headers.get('etag')! } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await get('/about')).headers.get('cache-control'), 'public, max-age=5', 'the flag overrides the file');

    const listing = await get('/list/');
    assert.equal(listing.headers.get('cache-control'), 'no-cache');
    const etag = listing.headers.get('etag')!;
    assert.match(etag, /^"[\w-]+"$/);
    const same = await get('/list/', { headers: { 'if-none-match': etag } });
    assert.equal(same.status, 304);
    writeFileSync(join(site, 'list', 'new.txt'), 'new');
    assert.equal((await get('/list/', { headers: { 'if-none-match': etag } })).status, 200, 'a changed folder is a new listing');
    rmSync(join(site, 'list', 'new.txt'));
  });

  test('the listing over curl with compression: ETag and 304 through the coding', { skip: !hasCurl && 'curl missing' }, async () => {
    const { stdout } = await run('curl', ['-s', '-D', '-', '-o', '/dev/null', '--compressed', `${w.base}/list/`]);
    const etag = /^etag: (.+)\r$/im.exec(stdout)![1]!;
    const again = await run('curl', ['-s', '-D', '-', '-o', '/dev/null', '--compressed', '-H', `If-None-Match: ${etag}`, `${w.base}/list/`]);
    assert.match(again.stdout, /^HTTP\/1\.1 304 /);
  });

  test('redirects with :params and **, query kept', async () => {
    const r = await get('/blog/2024/hello%20world?ref=x');
    assert.equal(r.status, 308);
    assert.equal(r.headers.get('location'), '/posts/hello%20world?ref=x');
    const crlf = await get('/blog/2024/a%0D%0ASet-Cookie:%20x');
    assert.equal(crlf.headers.get('location'), '/posts/a%0D%0ASet-Cookie%3A%20x');
    assert.equal(crlf.headers.get('set-cookie'), null);
    assert.equal((await get('/blog/2024/..%2F..%2Fetc')).status, 404, 'an encoded slash is no segment boundary');
    const old = await get('/old/a/b');
    assert.equal(old.status, 302);
    assert.equal(old.headers.get('location'), 'https://new.example/a/b');
  });

  test('rewrites: /app/** serves the app shell, files under /app/ stay themselves', async () => {
    const r = await get('/app/some/route');
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '<p>app shell</p>');
    assert.equal(await (await get('/app/real.js')).text(), 'real');
  });

  test('the listing: folders first, sorted by ?sort=, human sizes with exact bytes, JSON kept; weft.json neither served nor listed', async () => {
    const html = await (await get('/list/?sort=size')).text();
    const order = [...html.matchAll(/<a href="([^"?]+)"><i class="icon/g)].map((m) => m[1]);
    assert.deepEqual(order, ['../', 'c/', 'b.bin', 'a.txt'], 'folders first, then largest first');
    assert.ok(html.includes('<td class="size" title="3,000 bytes">2.9 KiB</td>'));
    assert.match(html, /<th class="size" aria-sort="descending"><a href="\?sort=size&amp;order=asc">Size ▼<\/a><\/th>/);
    assert.match(html, /<h1 class="crumbs">Index of <a href="\/" aria-label="root">\/<\/a><span>list<\/span>\/<\/h1>/);
    const byName = await (await get('/list/?sort=name&order=desc')).text();
    assert.deepEqual([...byName.matchAll(/<a href="([^"?]+)"><i class="icon/g)].map((m) => m[1]), ['../', 'c/', 'b.bin', 'a.txt']);
    const json = (await (await get('/list/?sort=size&order=asc', { headers: { accept: 'application/json' } })).json()) as { entries: { name: string }[] };
    assert.deepEqual(json.entries.map((e: { name: string }) => e.name), ['c', 'a.txt', 'b.bin']);

    assert.equal((await get('/weft.json')).status, 404);
    const root = (await (await get('/', { headers: { accept: 'application/json' } })).json()) as { entries: { name: string }[] };
    const names = root.entries.map((e: { name: string }) => e.name);
    assert.ok(names.includes('about.html') && !names.includes('weft.json'), names.join());
  });

  test('SIGHUP reloads weft.json; a broken one keeps the old rules and says where it is broken', async () => {
    const config = join(site, 'weft.json');
    writeFileSync(config, JSON.stringify({ ...CONFIG, headers: [{ source: '/**', headers: { 'X-Frame-Options': 'SAMEORIGIN' } }] }));
    let from = w.err.text.length;
    w.child.kill('SIGHUP');
    await w.err.waitFor(new RegExp(`^weft: reloaded ${config}$`, 'm'), from);
    assert.equal((await get('/about')).headers.get('x-frame-options'), 'SAMEORIGIN');

    writeFileSync(config, '{\n  "headers": [{ "source": "/**", "headers": { "X-Frame-Options": "DENY" } }],\n  "cleanUrls": 1\n}\n');
    from = w.err.text.length;
    w.child.kill('SIGHUP');
    await w.err.waitFor(new RegExp(`^weft: SIGHUP: not reloaded, the old config and certificate stay: ${config}:3:16: cleanUrls must be`, 'm'), from);
    assert.equal((await get('/about')).headers.get('x-frame-options'), 'SAMEORIGIN', 'the old config stays');
    assert.equal(w.child.exitCode, null);
  });
});

describe('basic auth, SPA, weft\'s own error page', () => {
  let a: Weft;
  let spa: string;
  before(async () => {
    spa = join(dir, 'spa');
    write(join(spa, 'index.html'), '<p>spa shell</p>');
    write(join(spa, 'main.js'), 'main');
    a = await startWeft([spa, '--auth', 'ann:s3cret:pass', '--immutable', '--spa', '--log', 'combined']);
  });
  const auth = { authorization: `Basic ${Buffer.from('ann:s3cret:pass').toString('base64')}` };

  test('401 with WWW-Authenticate without a valid login; the right one passes; the log never shows it', async () => {
    const none = await fetch(`${a.base}/`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Basic realm="weft", charset="UTF-8"');
    const wrong = await fetch(`${a.base}/`, { headers: { authorization: `Basic ${Buffer.from('ann:nope').toString('base64')}` } });
    assert.equal(wrong.status, 401);
    const ok = await fetch(`${a.base}/`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), '<p>spa shell</p>');
    assert.equal(ok.headers.get('cache-control'), 'public, max-age=31536000, immutable', '--immutable');
    await a.out.waitFor(/"GET \/ HTTP\/1\.1" 200 /);
    assert.ok(!a.out.text.includes('s3cret') && !a.out.text.includes(auth.authorization.slice(6)), a.out.text);
  });

  test('--spa: unknown paths without an extension get index.html, a missing file is 404', async () => {
    assert.equal(await (await fetch(`${a.base}/deep/route`, { headers: auth })).text(), '<p>spa shell</p>');
    assert.equal(await (await fetch(`${a.base}/main.js`, { headers: auth })).text(), 'main');
    assert.equal((await fetch(`${a.base}/missing.js`, { headers: auth })).status, 404);
  });

  test("weft's own error page: HTML in the listing's style for browsers, text for the rest", async () => {
    const page = await fetch(`${a.base}/missing.js`, { headers: { ...auth, accept: 'text/html,*/*;q=0.8' } });
    assert.equal(page.status, 404);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await page.text();
    assert.match(html, /<h1>404 Not Found<\/h1>/);
    assert.match(html, /prefers-color-scheme:dark/);
    const text = await fetch(`${a.base}/missing.js`, { headers: auth });
    assert.equal(text.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await text.text(), 'Not Found\n');
    const denied = await fetch(`${a.base}/`, { headers: { accept: 'text/html' } });
    assert.match(await denied.text(), /<h1>401 Unauthorized<\/h1>/);
  });
});
