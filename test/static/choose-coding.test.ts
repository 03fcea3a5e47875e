import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseFileCoding, isCompressibleFile } from '../../src/static/choose-coding.js';
import { resolveOptions, type StaticOptions } from '../../src/static/options.js';
import type { Sidecar } from '../../src/static/sidecars.js';
import { makeReq } from './helpers.js';

const HTML = 'text/html; charset=utf-8';
const BOTH: Sidecar[] = [
  { coding: 'br', path: '/x.br' },
  { coding: 'gzip', path: '/x.gz' },
];
const GZ: Sidecar[] = [{ coding: 'gzip', path: '/x.gz' }];

function choose(headers: Record<string, string>, sidecars: Sidecar[] = [], options: StaticOptions = {}, size = 10_000, type = HTML) {
  const settings = resolveOptions(options);
  return chooseFileCoding(makeReq('GET', '/x', headers), settings, type, size, isCompressibleFile(settings, type, size), sidecars);
}

test('isCompressibleFile: type, size, options, no-transform', () => {
  const s = resolveOptions();
  assert.equal(isCompressibleFile(s, HTML, 10_000), true);
  assert.equal(isCompressibleFile(s, HTML, 1023), false);
  assert.equal(isCompressibleFile(s, HTML, 0), false);
  assert.equal(isCompressibleFile(s, 'image/png', 10_000), false);
  assert.equal(isCompressibleFile(resolveOptions({ compression: false }), HTML, 10_000), false);
  assert.equal(isCompressibleFile(resolveOptions({ compression: { minSize: 10 } }), HTML, 20), true);
  assert.equal(isCompressibleFile(resolveOptions({ cacheControl: 'no-transform' }), HTML, 10_000), false);
});

test('identity without Vary when nothing could be coded', () => {
  assert.deepEqual(choose({ 'Accept-Encoding': 'gzip' }, [], {}, 100), { kind: 'identity', vary: false });
  assert.deepEqual(choose({ 'Accept-Encoding': 'gzip' }, [], {}, 10_000, 'image/png'), { kind: 'identity', vary: false });
});

test('sidecars first, then compression on the fly, then identity with Vary', () => {
  assert.deepEqual(choose({ 'Accept-Encoding': 'gzip, br' }, BOTH), { kind: 'sidecar', sidecar: BOTH[0] });
  assert.deepEqual(choose({ 'Accept-Encoding': 'br;q=1, gzip;q=0.5' }, GZ), { kind: 'sidecar', sidecar: GZ[0] });
  assert.deepEqual(choose({ 'Accept-Encoding': 'br' }, GZ), { kind: 'compress', coding: 'br' });
  assert.deepEqual(choose({ 'Accept-Encoding': 'deflate' }, GZ, { compression: false }), { kind: 'identity', vary: true });
  assert.deepEqual(choose({}, BOTH), { kind: 'identity', vary: true });
  // A small file or an incompressible type with a sidecar still varies.
  assert.deepEqual(choose({ 'Accept-Encoding': 'gzip' }, GZ, {}, 100, 'image/png'), { kind: 'sidecar', sidecar: GZ[0] });
  assert.deepEqual(choose({}, GZ, {}, 100), { kind: 'identity', vary: true });
});

test('a Range request gets identity, with Vary', () => {
  assert.deepEqual(choose({ 'Accept-Encoding': 'gzip', Range: 'bytes=0-1' }, BOTH), { kind: 'identity', vary: true });
  assert.deepEqual(choose({ 'Accept-Encoding': 'gzip', Range: 'bytes=0-1' }), { kind: 'identity', vary: true });
});

test('406 only when identity is refused and no coding fits', () => {
  assert.deepEqual(choose({ 'Accept-Encoding': 'zstd, identity;q=0' }), { kind: 'unacceptable' });
  assert.deepEqual(choose({ 'Accept-Encoding': 'gzip, identity;q=0' }, GZ), { kind: 'sidecar', sidecar: GZ[0] });
  assert.deepEqual(choose({ 'Accept-Encoding': 'zstd, identity;q=0' }, [], {}, 100), { kind: 'identity', vary: false });
});
