import assert from 'node:assert/strict';
import { mkdirSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SIDECAR_RECHECK_MS } from '../../src/static/options.js';
import { createSidecarIndex, findSidecars, forgetSidecars, knownSidecars } from '../../src/static/sidecars.js';
import { makeTempDir, PAST, removeTree } from './helpers.js';

let dir: string;
before(() => {
  dir = makeTempDir();
  mkdirSync(join(dir, 'not-a-file.js.br'));
  for (const name of ['a.js', 'a.js.br', 'a.js.gz', 'b.js', 'c.js', 'c.js.gz', 'not-a-file.js']) {
    writeFileSync(join(dir, name), name);
    utimesSync(join(dir, name), PAST / 1000, PAST / 1000);
  }
  // c.js.gz is older than c.js: stale.
  utimesSync(join(dir, 'c.js.gz'), PAST / 1000 - 1, PAST / 1000 - 1);
});
after(() => removeTree(dir));

const codings = async (index = createSidecarIndex(), name: string, now?: number) =>
  (await findSidecars(index, join(dir, name), statSync(join(dir, name)), now)).map((s) => s.coding);

test('finds regular sidecar files not older than the file', async () => {
  assert.deepEqual(await codings(undefined, 'a.js'), ['br', 'gzip']);
  assert.deepEqual(await codings(undefined, 'b.js'), []);
  assert.deepEqual(await codings(undefined, 'c.js'), [], 'stale');
  assert.deepEqual(await codings(undefined, 'not-a-file.js'), [], 'a directory is no sidecar');
  const [br] = await findSidecars(createSidecarIndex(), join(dir, 'a.js'), statSync(join(dir, 'a.js')));
  assert.equal(br!.path, join(dir, 'a.js.br'));
});

test('absence is remembered for SIDECAR_RECHECK_MS while the file is unchanged', async () => {
  const index = createSidecarIndex();
  const t0 = Date.now();
  assert.deepEqual(await codings(index, 'b.js', t0), []);
  writeFileSync(join(dir, 'b.js.gz'), 'x');
  try {
    assert.deepEqual(await codings(index, 'b.js', t0 + SIDECAR_RECHECK_MS - 1), [], 'not looked for again yet');
    assert.deepEqual(await codings(index, 'b.js', t0 + SIDECAR_RECHECK_MS), ['gzip']);
    // Forgetting (a sidecar that failed when used) looks again at once.
    unlinkSync(join(dir, 'b.js.gz'));
    forgetSidecars(index, join(dir, 'b.js'));
    assert.deepEqual(await codings(index, 'b.js', t0 + SIDECAR_RECHECK_MS), []);
  } finally {
    try {
      unlinkSync(join(dir, 'b.js.gz'));
    } catch {
      // already gone
    }
  }
});

test('a changed file has its sidecars looked for again at once', async () => {
  const index = createSidecarIndex();
  const path = join(dir, 'c.js');
  const t0 = Date.now();
  assert.deepEqual(await findSidecars(index, path, statSync(path), t0), []);
  utimesSync(path, PAST / 1000 - 2, PAST / 1000 - 2); // now c.js.gz is not older than c.js
  assert.deepEqual((await findSidecars(index, path, statSync(path), t0)).map((s) => s.coding), ['gzip']);
});

test('the index is bounded', async () => {
  const index = createSidecarIndex(2);
  for (const name of ['a.js', 'b.js', 'c.js']) await codings(index, name);
  assert.equal(index.known.size, 2);
  assert.deepEqual([...index.known.keys()], [join(dir, 'b.js'), join(dir, 'c.js')]);
});

test('knownSidecars: only recent findings that found something, without touching the disk', async () => {
  const index = createSidecarIndex();
  const t0 = Date.now();
  await codings(index, 'a.js', t0);
  await codings(index, 'b.js', t0);
  const known = knownSidecars(index, join(dir, 'a.js'), t0 + 1);
  assert.deepEqual(known?.found.map((s) => s.coding), ['br', 'gzip']);
  assert.equal(known?.stamp.ino, statSync(join(dir, 'a.js')).ino);
  assert.equal(knownSidecars(index, join(dir, 'b.js'), t0 + 1), undefined, 'none found');
  assert.equal(knownSidecars(index, join(dir, 'a.js'), t0 + SIDECAR_RECHECK_MS), undefined, 'too old');
  assert.equal(knownSidecars(index, join(dir, 'x.js'), t0), undefined, 'never looked for');
});
