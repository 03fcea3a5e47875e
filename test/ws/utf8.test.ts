/**
 * The incremental UTF-8 validator against an independent reference
 * (TextDecoder with fatal: true), for whole buffers, arbitrary splits, and
 * failing fast: a prefix is rejected exactly when no continuation could make
 * it valid.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isValidUtf8, UTF8_ACCEPT, UTF8_REJECT, validateUtf8 } from '../../src/ws/utf8.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

const decoder = new TextDecoder('utf-8', { fatal: true });
function reference(b: Uint8Array): boolean {
  try {
    decoder.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** Bytes biased towards the interesting ranges (leads, continuations, edges). */
const utf8ish = fc.array(
  fc.oneof(
    fc.integer({ min: 0x00, max: 0x7f }),
    fc.integer({ min: 0x80, max: 0xbf }),
    fc.constantFrom(0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff),
  ),
  { maxLength: 40 },
);

/** Valid text with multi-byte characters (as bytes), possibly long (native path). */
const validText = fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8')));

function feed(chunks: Uint8Array[]): number {
  let state = UTF8_ACCEPT;
  for (const c of chunks) state = validateUtf8(state, c);
  return state;
}

function split(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  out.push(b.subarray(prev));
  return out;
}

test('agrees with TextDecoder on whole buffers', HANG_GUARD, () => {
  fc.assert(
    fc.property(fc.oneof(utf8ish.map((a) => new Uint8Array(a)), validText), (b) => {
      assert.equal(isValidUtf8(b), reference(b));
      assert.equal(validateUtf8(UTF8_ACCEPT, b) === UTF8_ACCEPT, reference(b));
    }),
    { numRuns: 3000 },
  );
});

test('agrees with TextDecoder however the bytes are split', HANG_GUARD, () => {
  const longMixed = fc
    .tuple(validText, utf8ish, validText)
    .map(([a, b, c]) => new Uint8Array(Buffer.concat([a, new Uint8Array(b), c])));
  fc.assert(
    fc.property(longMixed, fc.array(fc.nat(), { maxLength: 6 }), (b, cuts) => {
      const state = feed(split(b, cuts));
      assert.equal(state === UTF8_ACCEPT, reference(b));
    }),
    { numRuns: 3000 },
  );
});

// A prefix is viable if some completion of at most 3 bytes makes it valid;
// continuation bytes only matter by range, so these stand for all of them.
const CONTS = [0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf];
function viable(prefix: Uint8Array): boolean {
  const tails: number[][] = [[]];
  for (const a of CONTS) {
    tails.push([a]);
    for (const b of CONTS) {
      tails.push([a, b]);
      for (const c of CONTS) tails.push([a, b, c]);
    }
  }
  return tails.some((t) => reference(Buffer.concat([prefix, Buffer.from(t)])));
}

test('fails fast: rejects a prefix exactly when nothing could complete it', HANG_GUARD, () => {
  fc.assert(
    fc.property(utf8ish, (bytes) => {
      const b = new Uint8Array(bytes);
      let state = UTF8_ACCEPT;
      for (let i = 0; i < b.length; i++) {
        state = validateUtf8(state, b.subarray(i, i + 1));
        const prefix = b.subarray(0, i + 1);
        assert.equal(state === UTF8_REJECT, !viable(prefix), `prefix ${Buffer.from(prefix).toString('hex')}`);
        if (state === UTF8_REJECT) break;
      }
    }),
    { numRuns: 1500 },
  );
});

test('long buffers (native path) with the error near either end or cut mid-character', HANG_GUARD, () => {
  const base = Buffer.from('a€𝄞'.repeat(100));
  assert.equal(validateUtf8(UTF8_ACCEPT, base), UTF8_ACCEPT);
  const bad = Buffer.from(base);
  bad[bad.length - 1] = 0xff;
  assert.equal(validateUtf8(UTF8_ACCEPT, bad), UTF8_REJECT);
  bad[bad.length - 1] = base[base.length - 1]!;
  bad[0] = 0x80;
  assert.equal(validateUtf8(UTF8_ACCEPT, bad), UTF8_REJECT);
  // Cut inside the 4-byte character: incomplete, not rejected, and completed by the rest.
  const cut = base.length - 2;
  const s = validateUtf8(UTF8_ACCEPT, base.subarray(0, cut));
  assert.ok(s !== UTF8_ACCEPT && s !== UTF8_REJECT);
  assert.equal(validateUtf8(s, base.subarray(cut)), UTF8_ACCEPT);
});
