import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRealDirs, realPathByDirectory } from '../../src/static/real-dirs.js';
import { serveStatic } from '../../src/static/index.js';
import { call, makeTempDir, removeTree, statusOf } from './helpers.js';
import { makeSite, type Site } from './fixture.js';

let site: Site;
let realRoot: string;
before(async () => {
  site = await makeSite();
  realRoot = realpathSync(site.root);
});
after(() => removeTree(site.base));

test('a file is found as its directory’s real path plus its name, inside the root only', () => {
  const dirs = createRealDirs(60_000);
  const now = Date.now();
  assert.equal(realPathByDirectory(dirs, join(site.root, 'fifty.txt'), realRoot, now), join(realRoot, 'fifty.txt'));
  // A directory symlinked inside the root resolves to its target; the name is not looked at.
  assert.equal(realPathByDirectory(dirs, join(site.root, 'sub-link', 'x.txt'), realRoot, now), join(realRoot, 'sub', 'x.txt'));
  assert.equal(realPathByDirectory(dirs, join(site.root, 'dir-out', 'secret.txt'), realRoot, now), null);
  assert.equal(realPathByDirectory(dirs, join(site.root, 'evil', 'secret.txt'), realRoot, now), null);
  assert.equal(realPathByDirectory(dirs, join(site.root, 'absent', 'x.txt'), realRoot, now), null);
  assert.equal(dirs.known.has(join(site.root, 'absent')), false, 'a failure is not remembered');
});

test('the directories remembered are bounded', () => {
  const dirs = createRealDirs(60_000, 2);
  for (const d of ['sub', 'sub-link', 'dir-out', 'evil', 'sub']) {
    realPathByDirectory(dirs, join(site.root, d, 'x.txt'), realRoot, Date.now());
    assert.ok(dirs.known.size <= 2, `${dirs.known.size} remembered`);
  }
});

test('a resolution is trusted for its time only', () => {
  const base = makeTempDir();
  try {
    mkdirSync(join(base, 'root', 'a'), { recursive: true });
    mkdirSync(join(base, 'root', 'b'));
    const root = realpathSync(join(base, 'root'));
    const dirs = createRealDirs(1000);
    assert.equal(realPathByDirectory(dirs, join(root, 'a', 'f'), root, 0), join(root, 'a', 'f'));
    renameSync(join(root, 'a'), join(root, 'a-old'));
    symlinkSync('b', join(root, 'a'));
    assert.equal(realPathByDirectory(dirs, join(root, 'a', 'f'), root, 999), join(root, 'a', 'f'), 'trusted within its time');
    assert.equal(realPathByDirectory(dirs, join(root, 'a', 'f'), root, 1000), join(root, 'b', 'f'), 'resolved again after it');
  } finally {
    removeTree(base);
  }
});

test('symlinks leading outside are refused on the way that reads small files at once', async () => {
  const h = serveStatic(site.root);
  // The first request resolves the root; the next ones read small files on the event loop.
  assert.equal((await call(h, 'GET', '/fifty.txt')).code, 200);
  for (const path of ['/link-out.txt', '/dir-out/secret.txt', '/evil/secret.txt']) {
    for (let i = 0; i < 2; i++) assert.equal(await statusOf(h, 'GET', path), 404, path);
  }
  assert.deepEqual((await call(h, 'GET', '/link-in.txt')).body, site.fifty);
});

test('a remembered directory swapped for a symlink leading outside is not served from', async () => {
  const base = makeTempDir();
  try {
    const root = join(base, 'root');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(base, 'outside'));
    writeFileSync(join(base, 'outside', 'page.txt'), 'SECRET');
    // Written just now: not settled, so never cached, and every request reads the disk.
    writeFileSync(join(root, 'a', 'page.txt'), 'public');
    const h = serveStatic(root, { recheckMs: 60_000 });
    await call(h, 'GET', '/a/page.txt');
    const first = await call(h, 'GET', '/a/page.txt');
    assert.equal(first.body.toString(), 'public');
    renameSync(join(root, 'a'), join(root, 'a-old'));
    symlinkSync(join(base, 'outside'), join(root, 'a'));
    assert.equal(await statusOf(h, 'GET', '/a/page.txt'), 404);
  } finally {
    removeTree(base);
  }
});

test('a file right under "/" keeps a single separator', () => {
  const dirs = createRealDirs(60_000);
  assert.equal(realPathByDirectory(dirs, '/etc', '/', Date.now()), '/etc');
});
