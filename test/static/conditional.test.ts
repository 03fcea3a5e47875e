import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FieldList } from '../../src/http/fields.js';
import {
  evaluatePreconditions,
  ifRangeAllowsRange,
  parseEntityTagList,
  type Validators,
} from '../../src/static/conditional.js';

const ETAG = '"abc-32-17"';
const LM = Math.floor(Date.UTC(2024, 0, 15, 10, 0, 0) / 1000); // Mon, 15 Jan 2024 10:00:00 GMT
const V: Validators = { etag: ETAG, lastModified: LM };

const LM_TEXT = 'Mon, 15 Jan 2024 10:00:00 GMT';
const BEFORE = 'Mon, 15 Jan 2024 09:59:59 GMT';
const AFTER = 'Mon, 15 Jan 2024 10:00:01 GMT';

function fields(h: Record<string, string>): FieldList {
  const f = new FieldList();
  for (const [k, v] of Object.entries(h)) f.add(k, v);
  return f;
}
const evaluate = (h: Record<string, string>, method = 'GET', v = V) => evaluatePreconditions(method, fields(h), v);

describe('If-Match (strong comparison, §13.1.1)', () => {
  test('matching tag proceeds', () => assert.equal(evaluate({ 'If-Match': ETAG }), 'proceed'));
  test('a tag in a list proceeds', () => assert.equal(evaluate({ 'If-Match': `"x", ${ETAG}, "y"` }), 'proceed'));
  test('"*" proceeds', () => assert.equal(evaluate({ 'If-Match': '*' }), 'proceed'));
  test('other tag → 412', () => assert.equal(evaluate({ 'If-Match': '"other"' }), 412));
  test('weak tag never matches strongly → 412', () => assert.equal(evaluate({ 'If-Match': `W/${ETAG}` }), 412));
  test('malformed field → 412', () => assert.equal(evaluate({ 'If-Match': 'abc' }), 412));
  test('no ETag on the resource → 412', () =>
    assert.equal(evaluate({ 'If-Match': ETAG }, 'GET', { etag: undefined, lastModified: LM }), 412));
  test('repeated field lines are one list', () => {
    const f = new FieldList();
    f.add('If-Match', '"x"');
    f.add('If-Match', ETAG);
    assert.equal(evaluatePreconditions('GET', f, V), 'proceed');
  });
});

describe('If-Unmodified-Since (§13.1.4)', () => {
  test('not modified since → proceed', () => assert.equal(evaluate({ 'If-Unmodified-Since': LM_TEXT }), 'proceed'));
  test('later date → proceed', () => assert.equal(evaluate({ 'If-Unmodified-Since': AFTER }), 'proceed'));
  test('modified since → 412', () => assert.equal(evaluate({ 'If-Unmodified-Since': BEFORE }), 412));
  test('invalid date is ignored', () => assert.equal(evaluate({ 'If-Unmodified-Since': 'yesterday' }), 'proceed'));
  test('ignored when If-Match is present', () =>
    assert.equal(evaluate({ 'If-Match': ETAG, 'If-Unmodified-Since': BEFORE }), 'proceed'));
  test('If-Match failing wins over a passing If-Unmodified-Since', () =>
    assert.equal(evaluate({ 'If-Match': '"no"', 'If-Unmodified-Since': AFTER }), 412));
  test('ignored without Last-Modified', () =>
    assert.equal(evaluate({ 'If-Unmodified-Since': BEFORE }, 'GET', { etag: ETAG, lastModified: undefined }), 'proceed'));
});

describe('If-None-Match (weak comparison, §13.1.2)', () => {
  test('matching tag → 304 for GET', () => assert.equal(evaluate({ 'If-None-Match': ETAG }), 304));
  test('matching tag → 304 for HEAD', () => assert.equal(evaluate({ 'If-None-Match': ETAG }, 'HEAD'), 304));
  test('matching tag → 412 for other methods', () => assert.equal(evaluate({ 'If-None-Match': ETAG }, 'POST'), 412));
  test('weak form of the tag matches weakly → 304', () => assert.equal(evaluate({ 'If-None-Match': `W/${ETAG}` }), 304));
  test('weak current tag matches too', () =>
    assert.equal(evaluate({ 'If-None-Match': '"t"' }, 'GET', { etag: 'W/"t"', lastModified: undefined }), 304));
  test('a tag in a list → 304', () => assert.equal(evaluate({ 'If-None-Match': `"a", W/"b", ${ETAG}` }), 304));
  test('"*" → 304', () => assert.equal(evaluate({ 'If-None-Match': '*' }), 304));
  test('other tags → proceed', () => assert.equal(evaluate({ 'If-None-Match': '"a", "b"' }), 'proceed'));
  test('malformed field → proceed', () => assert.equal(evaluate({ 'If-None-Match': 'abc-32-17' }), 'proceed'));
  test('no ETag on the resource → proceed', () =>
    assert.equal(evaluate({ 'If-None-Match': ETAG }, 'GET', { etag: undefined, lastModified: LM }), 'proceed'));
});

describe('If-Modified-Since (§13.1.3)', () => {
  test('not modified since → 304', () => assert.equal(evaluate({ 'If-Modified-Since': LM_TEXT }), 304));
  test('later date → 304', () => assert.equal(evaluate({ 'If-Modified-Since': AFTER }), 304));
  test('modified since → proceed', () => assert.equal(evaluate({ 'If-Modified-Since': BEFORE }), 'proceed'));
  test('HEAD too', () => assert.equal(evaluate({ 'If-Modified-Since': LM_TEXT }, 'HEAD'), 304));
  test('ignored for other methods', () => assert.equal(evaluate({ 'If-Modified-Since': LM_TEXT }, 'POST'), 'proceed'));
  test('invalid dates are ignored', () => {
    for (const d of ['yesterday', '2024-01-15T10:00:00Z', 'Mon, 15 Jan 2024 10:00:00 UTC', 'Mon, 32 Jan 2024 10:00:00 GMT', '']) {
      assert.equal(evaluate({ 'If-Modified-Since': d }), 'proceed', d);
    }
  });
  test('two dates (repeated field) are invalid, so ignored', () => {
    const f = new FieldList();
    f.add('If-Modified-Since', LM_TEXT);
    f.add('If-Modified-Since', LM_TEXT);
    assert.equal(evaluatePreconditions('GET', f, V), 'proceed');
  });
  test('obsolete RFC 850 and asctime formats are accepted', () => {
    assert.equal(evaluate({ 'If-Modified-Since': 'Monday, 15-Jan-24 10:00:00 GMT' }), 304);
    assert.equal(evaluate({ 'If-Modified-Since': 'Mon Jan 15 10:00:00 2024' }), 304);
    assert.equal(evaluate({ 'If-Modified-Since': 'Mon Jan 15 09:59:59 2024' }), 'proceed');
  });
  test('ignored when If-None-Match is present', () => {
    assert.equal(evaluate({ 'If-None-Match': '"other"', 'If-Modified-Since': LM_TEXT }), 'proceed');
    assert.equal(evaluate({ 'If-None-Match': ETAG, 'If-Modified-Since': BEFORE }), 304);
  });
  test('ignored without Last-Modified', () =>
    assert.equal(evaluate({ 'If-Modified-Since': AFTER }, 'GET', { etag: ETAG, lastModified: undefined }), 'proceed'));
});

describe('precedence (§13.2.2)', () => {
  test('If-Match failing → 412 even when If-None-Match would give 304', () =>
    assert.equal(evaluate({ 'If-Match': '"no"', 'If-None-Match': ETAG }), 412));
  test('If-Match passing, If-None-Match matching → 304', () =>
    assert.equal(evaluate({ 'If-Match': ETAG, 'If-None-Match': ETAG }), 304));
  test('If-Match passing, If-None-Match not matching → proceed', () =>
    assert.equal(evaluate({ 'If-Match': ETAG, 'If-None-Match': '"x"' }), 'proceed'));
  test('If-Unmodified-Since failing → 412 before If-None-Match', () =>
    assert.equal(evaluate({ 'If-Unmodified-Since': BEFORE, 'If-None-Match': ETAG }), 412));
  test('If-Unmodified-Since failing → 412 before If-Modified-Since', () =>
    assert.equal(evaluate({ 'If-Unmodified-Since': BEFORE, 'If-Modified-Since': LM_TEXT }), 412));
  test('all four: If-Modified-Since is ignored once If-None-Match is present', () =>
    assert.equal(
      evaluate({ 'If-Match': '*', 'If-Unmodified-Since': BEFORE, 'If-None-Match': '"x"', 'If-Modified-Since': LM_TEXT }),
      'proceed',
    ));
  test('no conditional fields → proceed', () => assert.equal(evaluate({}), 'proceed'));
});

describe('If-Range (§13.1.5)', () => {
  const allows = (h: Record<string, string>, v = V) => ifRangeAllowsRange(fields(h), v);
  test('absent → ranges allowed', () => assert.equal(allows({}), true));
  test('matching strong tag → allowed', () => assert.equal(allows({ 'If-Range': ETAG }), true));
  test('other tag → full response', () => assert.equal(allows({ 'If-Range': '"other"' }), false));
  test('weak tag → full response (strong comparison)', () => assert.equal(allows({ 'If-Range': `W/${ETAG}` }), false));
  test('exact Last-Modified date → allowed', () => assert.equal(allows({ 'If-Range': LM_TEXT }), true));
  test('later or earlier date → full response', () => {
    assert.equal(allows({ 'If-Range': AFTER }), false);
    assert.equal(allows({ 'If-Range': BEFORE }), false);
  });
  test('garbage → full response', () => {
    assert.equal(allows({ 'If-Range': 'garbage' }), false);
    assert.equal(allows({ 'If-Range': `${ETAG}, "x"` }), false);
  });
  test('no validator of that kind → full response', () => {
    assert.equal(allows({ 'If-Range': ETAG }, { etag: undefined, lastModified: LM }), false);
    assert.equal(allows({ 'If-Range': LM_TEXT }, { etag: ETAG, lastModified: undefined }), false);
  });
});

test('entity-tag lists', () => {
  assert.deepEqual(parseEntityTagList('"a", W/"b" ,,"c\\"'), [
    { weak: false, opaque: 'a' },
    { weak: true, opaque: 'b' },
    { weak: false, opaque: 'c\\' },
  ]);
  assert.equal(parseEntityTagList('"a" "b"'), null);
  assert.equal(parseEntityTagList('w/"a"'), null);
  assert.equal(parseEntityTagList('"a'), null);
  assert.equal(parseEntityTagList(''), null);
  assert.equal(parseEntityTagList('"a b"'), null);
});
