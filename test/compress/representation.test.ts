import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codedHeaders, mergeVary, representationETag } from '../../src/compress/representation.js';

test('representationETag puts the coding inside the quotes and keeps weakness', () => {
  assert.equal(representationETag('"abc"', 'gzip'), '"abc-gzip"');
  assert.equal(representationETag('"abc"', 'br'), '"abc-br"');
  assert.equal(representationETag('W/"abc"', 'gzip'), 'W/"abc-gzip"');
  assert.equal(representationETag('""', 'deflate'), '"-deflate"');
  assert.equal(representationETag('"abc"', 'identity'), '"abc"');
  assert.equal(representationETag('"abc"', null), '"abc"');
  assert.equal(representationETag('abc', 'gzip'), 'abc-gzip', 'malformed, still distinct');
});

test('mergeVary adds Accept-Encoding once, keeps *, merges lists', () => {
  assert.equal(mergeVary(undefined), 'Accept-Encoding');
  assert.equal(mergeVary(''), 'Accept-Encoding');
  assert.equal(mergeVary('Origin'), 'Origin, Accept-Encoding');
  assert.equal(mergeVary('Origin,  accept-encoding'), 'Origin, accept-encoding');
  assert.equal(mergeVary('ACCEPT-ENCODING'), 'ACCEPT-ENCODING');
  assert.equal(mergeVary('*'), '*');
  assert.equal(mergeVary('Origin, *'), '*');
  assert.equal(mergeVary(['Origin', 'Accept-Language']), 'Origin, Accept-Language, Accept-Encoding');
  assert.equal(mergeVary(['Origin', 'Accept-Encoding']), 'Origin, Accept-Encoding');
  assert.equal(mergeVary('Origin', 'Accept'), 'Origin, Accept');
});

test('codedHeaders: a coded 200, a coded 304, identity, and no Vary', () => {
  const h = { 'Content-Type': 'text/css', 'Content-Length': '5000', etag: '"f1"', vary: 'Origin' };
  assert.deepEqual(codedHeaders(h, { vary: true, coding: 'br' }), {
    'Content-Type': 'text/css',
    etag: '"f1-br"',
    vary: 'Origin, Accept-Encoding',
    'Content-Encoding': 'br',
  });
  assert.deepEqual(codedHeaders({ ETag: 'W/"f1"' }, { vary: true, coding: 'gzip' }, 304), {
    ETag: 'W/"f1-gzip"',
    Vary: 'Accept-Encoding',
  });
  assert.deepEqual(codedHeaders(h, { vary: true, coding: 'identity' }), { ...h, vary: 'Origin, Accept-Encoding' });
  assert.deepEqual(codedHeaders(h, { vary: false, coding: 'identity' }), h);
  assert.equal(h.etag, '"f1"', 'the input is not changed');
});
