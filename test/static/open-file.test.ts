import assert from 'node:assert/strict';
import { fstatSync, openSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileOnLoop } from '../../src/static/open-file.js';
import { createPathStatter } from '../../src/static/path-stat.js';
import { serveStatic } from '../../src/static/index.js';
import { call, makeTempDir, openFdCount, PAST, patternBytes, removeTree } from './helpers.js';

let dir: string;
const big = patternBytes(3 * 256 * 1024 + 17); // several read chunks
before(() => {
  dir = makeTempDir();
  writeFileSync(join(dir, 'big.bin'), big);
  utimesSync(join(dir, 'big.bin'), PAST / 1000, PAST / 1000);
});
after(() => removeTree(dir));

const isOpen = (fd: number): boolean => {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};

test('a file read on the event loop reads, stats and closes once', async () => {
  const fd = openSync(join(dir, 'big.bin'), 'r');
  const f = fileOnLoop(fd, createPathStatter());
  const buf = Buffer.alloc(100);
  assert.equal((await f.read(buf, 0, 100, 5)).bytesRead, 100);
  assert.deepEqual(buf, big.subarray(5, 105));
  assert.equal((await f.stat()).size, big.length);
  await f.close();
  assert.equal(isOpen(fd), false);
  await f.close(); // a second close does nothing (the number may be another file's by now)
  await assert.rejects(f.read(buf, 0, 1, 0));
  await assert.rejects(f.stat()); // the number may be another file's by now
});

test('once the filesystem proved slow its reads go through the pool, and close waits for one in flight', async () => {
  const stats = createPathStatter();
  const fd = openSync(join(dir, 'big.bin'), 'r');
  const f = fileOnLoop(fd, stats);
  stats.sync = false;
  const buf = Buffer.alloc(1000);
  const reading = f.read(buf, 0, 1000, 1000);
  const closing = f.close();
  assert.equal(isOpen(fd), true, 'not closed under the read');
  assert.equal((await reading).bytesRead, 1000);
  await closing;
  assert.deepEqual(buf, big.subarray(1000, 2000));
  assert.equal(isOpen(fd), false);
});

test('with the cache off a file opened on the event loop is served whole, by range and to HEAD, and closed', async () => {
  const h = serveStatic(dir, { cache: false });
  const fds = openFdCount();
  for (let i = 0; i < 3; i++) {
    // The first request resolves the root (the thread pool's way); the next ones open on the event loop.
    const whole = await call(h, 'GET', '/big.bin');
    assert.equal(whole.code, 200);
    assert.deepEqual(whole.body, big);
    const part = await call(h, 'GET', '/big.bin', { Range: 'bytes=262140-262150' });
    assert.equal(part.code, 206);
    assert.deepEqual(part.body, big.subarray(262140, 262151));
    const head = await call(h, 'HEAD', '/big.bin');
    assert.equal(head.length, big.length);
    assert.equal(head.body.length, 0);
  }
  assert.equal(openFdCount(), fds, 'every descriptor closed');
});

test('a read longer than SYNC_READ_CALL_MAX_BYTES goes through the pool, whole', async () => {
  const { SYNC_READ_CALL_MAX_BYTES } = await import('../../src/static/options.js');
  const path = join(dir, 'huge.bin');
  writeFileSync(path, Buffer.alloc(SYNC_READ_CALL_MAX_BYTES + 2, 0x62));
  const f = fileOnLoop(openSync(path, 'r'), createPathStatter());
  const buf = Buffer.alloc(SYNC_READ_CALL_MAX_BYTES + 2);
  const reading = f.read(buf, 0, buf.length, 0);
  let settled = false;
  void reading.then(() => (settled = true));
  // A read made at once has settled after a few microtasks; one through the pool needs a turn of the event loop.
  for (let i = 0; i < 5; i++) await Promise.resolve();
  assert.equal(settled, false, 'it went to the pool');
  const closing = f.close(); // waits for the read in flight
  assert.equal((await reading).bytesRead, buf.length);
  await closing;
  assert.equal(buf.every((b) => b === 0x62), true);
});
