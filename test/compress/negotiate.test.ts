import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Coding,
  type EncodingChoice,
  identityAcceptable,
  negotiateEncoding,
  parseAcceptEncoding,
} from '../../src/compress/negotiate.js';

const ALL: readonly Coding[] = ['br', 'gzip', 'deflate'];

/** [Accept-Encoding (undefined = absent), codings available, expected choice]. */
const TABLE: [string | undefined, readonly Coding[], EncodingChoice][] = [
  [undefined, ALL, 'identity'], // absent: any coding allowed, but do not compress
  ['', ALL, 'identity'], // empty: no coding wanted
  ['   ', ALL, 'identity'],
  ['gzip', ALL, 'gzip'],
  ['GZIP', ALL, 'gzip'],
  ['gzip, deflate, br', ALL, 'br'], // equal q: server preference
  ['gzip, deflate, br', ['gzip', 'br'], 'gzip'], // preference is the order of `available`
  ['br;q=0.9, gzip;q=0.9', ALL, 'br'],
  ['br;q=0.8, gzip;q=0.9', ALL, 'gzip'],
  ['deflate, gzip;q=0.5', ALL, 'deflate'],
  ['gzip ; q=0.5 , br ;Q=0.4', ALL, 'gzip'], // whitespace, upper-case Q
  ['\tgzip\t;\tq=0.5', ALL, 'gzip'],
  ['gzip;q=0', ALL, 'identity'], // q=0 forbids
  ['gzip;q=0.000, br', ALL, 'br'],
  ['gzip;q=1.000', ALL, 'gzip'],
  ['*', ALL, 'br'],
  ['*;q=0.5, gzip', ALL, 'gzip'], // listed beats wildcard
  ['*, gzip;q=0.5', ALL, 'br'], // wildcard covers br at q=1
  ['*;q=0', ALL, null], // everything refused, identity included
  ['*;q=0, identity', ALL, 'identity'],
  ['*;q=0, gzip', ALL, 'gzip'],
  ['identity;q=0', ALL, null], // nothing listed is acceptable, identity refused → 406
  ['identity;q=0', [], null],
  ['gzip, identity;q=0', ALL, 'gzip'],
  ['br, identity;q=0', ['gzip'], null],
  ['identity', ALL, 'identity'],
  ['identity, gzip', ALL, 'gzip'], // equal q: a coding wins the tie
  ['identity;q=1, gzip;q=0.5', ALL, 'identity'], // explicit identity competes by q
  ['gzip;q=0.5', ALL, 'gzip'], // implicit identity only ranks last
  ['gzip;q=2', ALL, 'identity'], // invalid q: element ignored
  ['gzip;q=0.5555, br;q=0.5', ALL, 'br'], // more than three decimals: invalid
  ['gzip;q=', ALL, 'identity'],
  ['gzip;q=-1, deflate', ALL, 'deflate'],
  ['gzip;q=0.5, gzip;q=0', ALL, 'identity'], // duplicate: the lowest q holds
  ['gzip, gzip', ALL, 'gzip'],
  ['x-gzip', ALL, 'gzip'], // RFC 9110 §8.4.1.3
  ['x-gzip;q=0, gzip', ALL, 'gzip'], // an explicit gzip entry wins over the alias
  ['compress, zstd', ALL, 'identity'], // codings we cannot produce
  ['zstd, br;q=0.1', ALL, 'br'],
  ['br', [], 'identity'], // nothing available for this response
  [',,, gzip ,,', ALL, 'gzip'], // empty list elements
  ['gzip;level=9', ALL, 'gzip'], // unknown parameter, still valid
  ['gzip;q=0.5;q=0.9', ALL, 'gzip'],
  ['gz@ip, deflate', ALL, 'deflate'], // not a token
];

for (const [field, available, expected] of TABLE) {
  test(`Accept-Encoding ${field === undefined ? '(absent)' : JSON.stringify(field)} of [${available.join(',')}] → ${expected}`, () => {
    assert.equal(negotiateEncoding(field, available), expected);
  });
}

test('parseAcceptEncoding keeps codings, the wildcard and identity apart', () => {
  const a = parseAcceptEncoding('GZip;q=0.7, *;q=0.2, Identity;q=0.1, br');
  assert.deepEqual([...a.codings], [
    ['gzip', 0.7],
    ['br', 1],
  ]);
  assert.equal(a.any, 0.2);
  assert.equal(a.identity, 0.1);
});

test('identityAcceptable follows RFC 9110 §12.5.3', () => {
  assert.equal(identityAcceptable(parseAcceptEncoding('')), true);
  assert.equal(identityAcceptable(parseAcceptEncoding('gzip')), true);
  assert.equal(identityAcceptable(parseAcceptEncoding('identity;q=0')), false);
  assert.equal(identityAcceptable(parseAcceptEncoding('*;q=0')), false);
  assert.equal(identityAcceptable(parseAcceptEncoding('*;q=0, identity;q=0.1')), true);
});
