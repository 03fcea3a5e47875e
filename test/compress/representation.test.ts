import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeVary, representationETag } from '../../src/compress/representation.js';

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
