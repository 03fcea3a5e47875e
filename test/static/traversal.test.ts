import assert from 'node:assert/strict';
import { mkdirSync, renameSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serveStatic } from '../../src/static/index.js';
import { isInside } from '../../src/static/locate.js';
import { call, PAST, removeTree } from './helpers.js';
import { makeSite, type Site } from './fixture.js';
import type { Handler } from '../../src/http/types.js';

let site: Site;
before(async () => {
  site = await makeSite();
});
after(() => removeTree(site.base));

/** Requests `path` and checks that it is refused with one of `allowed` and leaks nothing. */
async function assertRefused(h: Handler, path: string, allowed = [400, 403, 404]): Promise<void> {
  let status: number;
  try {
    const r = await call(h, 'GET', path);
    assert.ok(!r.body.toString('latin1').includes(site.secret), `${path} leaked the secret`);
    status = r.code;
  } catch (err) {
    status = (err as { status?: number }).status ?? -1;
    assert.ok(!String((err as Error).message).includes(site.secret));
  }
  assert.ok(allowed.includes(status), `${path} → ${status}`);
}

describe('traversal attempts are refused without leaking', () => {
  const attempts: [string, number[]?][] = [
    ['/../secret.txt', [400]],
    ['/..', [400]],
    ['/sub/../../secret.txt', [400]],
    ['//../secret.txt', [400]],
    ['/%2e%2e/secret.txt', [400]],
    ['/%2E%2E/%2E%2E/secret.txt', [400]],
    ['/.%2e/secret.txt', [400]],
    ['/sub/%2e%2e/%2e%2e/secret.txt', [400]],
    ['/..%2Fsecret.txt'],
    ['/%2F..%2F..%2Fsecret.txt'],
    ['/sub%2F..%2F..%2Fsecret.txt'],
    ['/..%5csecret.txt'],
    ['/..%5c..%5csecret.txt'],
    ['/..\\secret.txt'],
    ['/%00', [400]],
    ['/fifty.txt%00.html', [400]],
    ['/%252e%252e/secret.txt', [404]],
    ['/%252e%252e%252fsecret.txt', [404]],
    ['/%c0%ae%c0%ae/secret.txt', [400]],
    ['/%', [400]],
    ['/../root-evil/secret.txt', [400]],
    ['/link-out.txt', [404]],
    ['/dir-out/secret.txt', [404]],
    ['/dir-out/', [404]],
    ['/evil/secret.txt', [404]],
    ['/.env', [404]],
  ];
  for (const cache of [true, false]) {
    for (const [path, allowed] of attempts) {
      test(`${path} (cache ${cache ? 'on' : 'off'})`, async () => {
        await assertRefused(serveStatic(site.root, { cache }), path, allowed);
      });
    }
  }

  test('a root given with a trailing slash or as a relative path behaves the same', async () => {
    await assertRefused(serveStatic(site.root + sep), '/link-out.txt', [404]);
    await assertRefused(serveStatic(site.root + sep), '/evil/secret.txt', [404]);
  });
});

test('isInside checks on a separator boundary', () => {
  assert.equal(isInside('/srv/www', '/srv/www'), true);
  assert.equal(isInside('/srv/www/a', '/srv/www'), true);
  assert.equal(isInside('/srv/www-evil', '/srv/www'), false);
  assert.equal(isInside('/srv/www-evil/a', '/srv/www'), false);
  assert.equal(isInside('/srv/wwwx', '/srv/www'), false);
  assert.equal(isInside('/etc/passwd', '/'), true);
});

test('followSymlinksOutside: true serves symlinks out of the root', async () => {
  const r = await call(serveStatic(site.root, { followSymlinksOutside: true }), 'GET', '/link-out.txt');
  assert.equal(r.body.toString(), site.secret);
  // Dot segments and dotfiles are still refused.
  await assertRefused(serveStatic(site.root, { followSymlinksOutside: true }), '/../secret.txt', [400]);
});

test('a cached symlink swapped to point outside is not served', async () => {
  const link = join(site.root, 'swap.txt');
  symlinkSync('fifty.txt', link);
  const h = serveStatic(site.root, { recheckMs: 0 }); // every request checks: a swap shows at once
  const first = await call(h, 'GET', '/swap.txt');
  assert.deepEqual(first.body, site.fifty);
  assert.ok(first.res.body?.bytes, 'cached');
  unlinkSync(link);
  symlinkSync(join(site.base, 'outside', 'secret.txt'), link);
  await assertRefused(h, '/swap.txt', [404]);
});

test('a root that is a symlink switched by a deploy is followed to its new target', async () => {
  const releases = join(site.base, 'releases');
  for (const [name, text] of [
    ['r1', 'one'],
    ['r2', 'two'],
  ] as const) {
    mkdirSync(join(releases, name, 'sub'), { recursive: true });
    writeFileSync(join(releases, name, 'v.txt'), text);
    utimesSync(join(releases, name, 'v.txt'), PAST / 1000, PAST / 1000);
    writeFileSync(join(releases, name, 'sub', 'v.txt'), text); // not settled: never cached, read from disk each time
  }
  const current = join(site.base, 'current');
  symlinkSync(join(releases, 'r1'), current);
  const h = serveStatic(current);
  assert.equal((await call(h, 'GET', '/v.txt')).body.toString(), 'one');
  // Read twice: the second time on the event loop, with sub's real path remembered.
  for (let i = 0; i < 2; i++) assert.equal((await call(h, 'GET', '/sub/v.txt')).body.toString(), 'one');
  // Switch atomically, as deploy tools do.
  symlinkSync(join(releases, 'r2'), current + '.new');
  renameSync(current + '.new', current);
  assert.equal((await call(h, 'GET', '/v.txt')).body.toString(), 'two');
  // The root was found moved: what was remembered under the old one is not used.
  assert.equal((await call(h, 'GET', '/sub/v.txt')).body.toString(), 'two');
});
