import assert from 'node:assert/strict';
import { statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  cacheAddCompressed,
  cacheDelete,
  cacheEntry,
  cacheFill,
  cacheLookup,
  cacheLookupChecked,
  cacheLookupFresh,
  cacheStore,
  createFileCache,
} from '../../src/static/file-cache.js';
import { describeCoded, describeFile } from '../../src/static/representation.js';
import { makeTempDir, PAST, removeTree } from './helpers.js';

const POLICY = { cacheControl: '', etag: true, lastModified: true };
const stamp = (size: number, ino = 1) => ({ dev: 1, ino, size, mtimeMs: PAST, ctimeMs: PAST });
const entry = (path: string, size: number) => cacheEntry(path, stamp(size), Buffer.alloc(size), describeFile(stamp(size), 'text/plain', POLICY));
const coded = (size: number) => ({ bytes: Buffer.alloc(size), rep: describeCoded(stamp(size), size, 'text/plain', POLICY, 'gzip') });

test('compressed forms count in the budget and leave with their entry', () => {
  const cache = createFileCache(100, 40);
  const a = entry('a', 30);
  cacheStore(cache, a);
  cacheAddCompressed(cache, a, 'gzip', coded(10));
  cacheAddCompressed(cache, a, 'br', coded(8));
  assert.equal(a.size, 48);
  assert.equal(cache.bytes, 48);
  cacheAddCompressed(cache, a, 'gzip', coded(5)); // already there: unchanged
  assert.equal(cache.bytes, 48);
  cacheDelete(cache, 'a');
  assert.equal(cache.bytes, 0);
});

test('adding a compressed form evicts least recently used entries, never its own', () => {
  const cache = createFileCache(100, 40);
  const a = entry('a', 40);
  cacheStore(cache, a);
  cacheStore(cache, entry('b', 30));
  cacheStore(cache, entry('c', 20));
  cacheLookup(cache, 'b');
  cacheAddCompressed(cache, a, 'gzip', coded(30)); // needs 20 more: c goes (a is kept although least recent)
  assert.deepEqual([...cache.entries.keys()].sort(), ['a', 'b']);
  assert.equal(cache.bytes, 100);
  cacheAddCompressed(cache, a, 'br', coded(40)); // a alone would be 110 > 100: not kept
  assert.equal(a.compressed?.has('br') ?? false, false);
  assert.equal(cache.bytes, 100);
});

test('a compressed form of an entry no longer cached is not kept', () => {
  const cache = createFileCache(100, 40);
  const a = entry('a', 10);
  cacheStore(cache, a);
  cacheStore(cache, entry('a', 12)); // replaced (the file changed)
  cacheAddCompressed(cache, a, 'gzip', coded(5));
  assert.equal(cache.bytes, 12);
  assert.equal(a.compressed?.size ?? 0, 0);
});

test('cacheFill: concurrent misses of one file share one read and one entry', async () => {
  const cache = createFileCache(1000, 100);
  let reads = 0;
  const read = async () => {
    reads++;
    await new Promise((r) => setImmediate(r));
    return Buffer.alloc(10);
  };
  const rep = describeFile(stamp(10), 'text/plain', POLICY);
  const entries = await Promise.all(Array.from({ length: 5 }, () => cacheFill(cache, 'f', stamp(10), rep, read)));
  assert.equal(reads, 1);
  for (const e of entries) assert.equal(e, entries[0]);
  assert.equal(cache.filling.size, 0);
  // Another identity (the file changed meanwhile) does not take the shared entry.
  const [x, y] = await Promise.all([cacheFill(cache, 'g', stamp(10, 1), rep, read), cacheFill(cache, 'g', stamp(10, 2), rep, read)]);
  assert.notEqual(x, y);
  assert.equal(y!.stamp.ino, 2);
  // A file that changed size while read: null, nothing stored.
  assert.equal(await cacheFill(cache, 'h', stamp(10), rep, async () => null), null);
  assert.equal(cache.entries.has('h'), false);
});

test('cacheLookupChecked: the same answers with synchronous and pooled stats', async () => {
  const dir = makeTempDir();
  try {
    for (const syncStat of [true, false]) {
      const cache = createFileCache(1000, 100);
      cache.stats.sync = syncStat;
      const path = join(dir, `f-${syncStat}`);
      writeFileSync(path, 'one');
      const st = statSync(path);
      cacheStore(cache, cacheEntry(path, st, Buffer.from('one'), describeFile(st, 'text/plain', POLICY)));
      const hit = await cacheLookupChecked(cache, path);
      assert.equal(hit?.entry.bytes.toString(), 'one');
      assert.equal(hit?.stat.ino, st.ino);
      writeFileSync(path, 'two!');
      assert.equal(await cacheLookupChecked(cache, path), null, 'changed');
      assert.equal(cache.entries.size, 0, 'the stale entry is dropped');
      cacheStore(cache, cacheEntry(path, statSync(path), Buffer.from('two!'), describeFile(st, 'text/plain', POLICY)));
      unlinkSync(path);
      assert.equal(await cacheLookupChecked(cache, path), null, 'deleted');
      assert.equal(await cacheLookupChecked(cache, join(path, 'below-a-file')), null, 'ENOTDIR');
      assert.equal(cache.stats.sync, syncStat, 'fast stats keep the mode');
    }
  } finally {
    removeTree(dir);
  }
});

test('eviction gives a used entry a second chance (CLOCK), and ends when every entry is used', () => {
  const cache = createFileCache(60, 30);
  for (const name of ['a', 'b', 'c']) cacheStore(cache, entry(name, 20));
  cacheLookup(cache, 'a'); // the oldest, but used
  cacheStore(cache, entry('d', 20)); // b goes: a is passed over once
  assert.deepEqual([...cache.entries.keys()], ['c', 'a', 'd']);
  for (const name of ['c', 'a', 'd']) cacheLookup(cache, name);
  cacheStore(cache, entry('e', 30)); // all used: each passed over once, then the oldest go
  assert.deepEqual([...cache.entries.keys()], ['d', 'e']);
  assert.equal(cache.bytes, 50);
});

test('cacheLookupFresh: trusted without a stat within recheckMs, checked after it', async () => {
  const dir = makeTempDir();
  try {
    for (const syncStat of [true, false]) {
      const cache = createFileCache(1000, 100, undefined, 500);
      cache.stats.sync = syncStat;
      const path = join(dir, `f-${syncStat}`);
      writeFileSync(path, 'one');
      const st = statSync(path);
      const e = cacheEntry(path, st, Buffer.from('one'), describeFile(st, 'text/plain', POLICY));
      cacheStore(cache, e);
      const t = e.checkedAt;
      assert.equal(await cacheLookupFresh(cache, path, t + 499), e);
      assert.equal(await cacheLookupFresh(cache, path, t + 500), e, 'unchanged: kept');
      assert.equal(e.checkedAt, t + 500, 'the check is renewed');
      unlinkSync(path);
      assert.equal(await cacheLookupFresh(cache, path, t + 999), e, 'deleted, but still trusted');
      assert.equal(await cacheLookupFresh(cache, path, t + 1000), undefined, 'deleted, and checked');
      assert.equal(cache.entries.size, 0, 'the stale entry is dropped');
    }
  } finally {
    removeTree(dir);
  }
});
