import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coalesce, contentRange, parseRangeSpecs, selectRanges, unsatisfiedContentRange } from '../../src/static/range.js';
import { MAX_RANGES } from '../../src/static/options.js';

const SIZE = 50;

/** What a Range value selects of a 50-byte representation, in the book's notation. */
function effective(value: string, size = SIZE): string {
  const s = selectRanges(value, size);
  if (s.kind === 'ignore') return 'invalid';
  if (s.kind === 'unsatisfiable') return 'unsatisfiable';
  return s.ranges.map((r) => `[${r.start}, ${r.end})`).join(' ');
}

describe('book 10.1: effective ranges of a 50-byte file', () => {
  // The book's table, with "-0" corrected by RFC 9110 §14.1.1/§14.1.3: a
  // suffix-length of 0 is syntactically valid and unsatisfiable (416).
  const table: [string, string][] = [
    ['0-0', '[0, 1)'],
    ['0-1', '[0, 2)'],
    ['10-', '[10, 50)'],
    ['10-60', '[10, 50)'],
    ['0-60', '[0, 50)'],
    ['4-3', 'invalid'],
    ['70-60', 'invalid'],
    ['-10', '[40, 50)'],
    ['-60', '[0, 50)'],
    ['-0', 'unsatisfiable'],
    ['--1', 'invalid'],
    ['foobar', 'invalid'],
    ['60-', 'unsatisfiable'],
    ['60-70', 'unsatisfiable'],
  ];
  for (const [spec, want] of table) {
    test(`bytes=${spec} → ${want}`, () => {
      assert.equal(effective(spec === 'foobar' ? spec : `bytes=${spec}`), want);
    });
  }
  test('"foobar" after the unit is invalid too', () => {
    assert.equal(effective('bytes=foobar'), 'invalid');
  });
});

describe('RFC 9110 §14.1 syntax', () => {
  const cases: [string, string][] = [
    ['BYTES=0-1', '[0, 2)'], // the range unit is case-insensitive
    ['Bytes=0-1', '[0, 2)'],
    ['bytes = 0-1', 'invalid'], // no whitespace around "="
    ['bytes =0-1', 'invalid'],
    ['bytes= 0-1', '[0, 2)'], // list elements may have OWS around them
    ['bytes=0-1 , 5-6', '[0, 2) [5, 7)'],
    ['bytes=0 -1', 'invalid'], // but not inside a range-spec
    ['bytes=0- 1', 'invalid'],
    ['bytes=', 'invalid'], // empty range-set
    ['bytes=,', 'invalid'],
    ['bytes=,,0-1,', '[0, 2)'], // empty list elements are ignored (§5.6.1.2)
    ['bytes=0-1,', '[0, 2)'],
    ['bytes', 'invalid'],
    ['items=0-1', 'invalid'], // unknown unit: ignored
    ['bytes=-', 'invalid'],
    ['bytes=1', 'invalid'],
    ['bytes=+1-2', 'invalid'],
    ['bytes=0x1-2', 'invalid'],
    ['bytes=1.5-2', 'invalid'],
    ['bytes=0-1,4-3', 'invalid'], // one invalid range-spec makes the whole field invalid
    ['bytes=0-1,foo', 'invalid'],
    ['bytes=00-01', '[0, 2)'], // leading zeros are digits
    ['bytes=0-99999999999999999999999', '[0, 50)'],
    ['bytes=99999999999999999999999-', 'unsatisfiable'],
    ['bytes=-99999999999999999999999', '[0, 50)'],
    ['bytes=49-', '[49, 50)'],
    ['bytes=50-', 'unsatisfiable'],
    ['bytes=49-49', '[49, 50)'],
    ['bytes=-1', '[49, 50)'],
    ['bytes=-50', '[0, 50)'],
  ];
  for (const [value, want] of cases) {
    test(`${JSON.stringify(value)} → ${want}`, () => {
      assert.equal(effective(value), want);
    });
  }
});

describe('several ranges', () => {
  test('unsatisfiable ones are dropped when another is satisfiable', () => {
    assert.equal(effective('bytes=60-70,0-1'), '[0, 2)');
    assert.equal(effective('bytes=-0,0-1'), '[0, 2)');
  });
  test('all unsatisfiable → unsatisfiable', () => {
    assert.equal(effective('bytes=60-70,50-,-0'), 'unsatisfiable');
  });
  test('disjoint ranges keep the order asked for', () => {
    assert.equal(effective('bytes=20-29,0-4'), '[20, 30) [0, 5)');
  });
  test('overlapping ranges are coalesced', () => {
    assert.equal(effective('bytes=0-10,5-20'), '[0, 21)');
    assert.equal(effective('bytes=5-20,0-10'), '[0, 21)');
    assert.equal(effective('bytes=0-49,0-49,0-49'), '[0, 50)');
    assert.equal(effective('bytes=-10,45-'), '[40, 50)');
  });
  test('adjacent ranges are coalesced', () => {
    assert.equal(effective('bytes=0-4,5-9'), '[0, 10)');
  });
  test('coalescing merges what it can and sorts', () => {
    assert.equal(effective('bytes=30-34,0-4,3-7'), '[0, 8) [30, 35)');
  });
  test(`${MAX_RANGES} range-specs are honoured, one more ignores the field`, () => {
    const specs = (n: number) => Array.from({ length: n }, (_, i) => `${i}-${i}`).join(',');
    assert.equal(effective(`bytes=${specs(MAX_RANGES)}`), `[0, ${MAX_RANGES})`);
    assert.equal(effective(`bytes=${specs(MAX_RANGES + 1)}`), 'invalid');
    // Thousands of overlapping ranges cannot make the server read the file thousands of times.
    assert.equal(effective(`bytes=${Array(5000).fill('0-49').join(',')}`), 'invalid');
  });
});

describe('empty representation', () => {
  test('an int-range is unsatisfiable', () => {
    assert.equal(effective('bytes=0-', 0), 'unsatisfiable');
    assert.equal(effective('bytes=0-0', 0), 'unsatisfiable');
  });
  test('a non-zero suffix selects the (empty) whole: send it with 200', () => {
    assert.equal(effective('bytes=-5', 0), 'invalid');
  });
  test('"-0" is unsatisfiable', () => {
    assert.equal(effective('bytes=-0', 0), 'unsatisfiable');
  });
});

test('parseRangeSpecs keeps the specs as written', () => {
  assert.deepEqual(parseRangeSpecs('bytes=1-2,3-,-4'), [{ first: 1, last: 2 }, { first: 3, last: null }, { suffix: 4 }]);
  assert.equal(parseRangeSpecs('bytes=1-2', 0), null);
});

test('coalesce leaves a single range alone', () => {
  const one = [{ start: 1, end: 2 }];
  assert.equal(coalesce(one), one);
});

test('Content-Range values', () => {
  assert.equal(contentRange({ start: 0, end: 1 }, 50), 'bytes 0-0/50');
  assert.equal(contentRange({ start: 40, end: 50 }, 50), 'bytes 40-49/50');
  assert.equal(unsatisfiedContentRange(50), 'bytes */50');
});
