/**
 * The Range header field (RFC 9110 §14.1-14.2) for byte ranges: parsing a
 * ranges-specifier and turning it into the byte ranges to send for a
 * representation of a given size. Pure functions.
 */
import { MAX_RANGES } from './options.js';

/** Bytes [start, end) of a representation; start < end. */
export type ByteRange = { readonly start: number; readonly end: number };

/**
 * What a Range field asks of a representation:
 * - "ignore": send the whole representation (200) — the field is invalid
 *   (RFC 9110 §14.2: a server ignores an invalid ranges-specifier), uses a
 *   unit other than bytes, or has more than MAX_RANGES range-specs;
 * - "unsatisfiable": answer 416 with `Content-Range: bytes *\/size`;
 * - "ranges": answer 206 with these ranges: satisfiable ones only, clipped to
 *   the size, overlapping or adjacent ones coalesced (§14.1.1 permits it).
 */
export type RangeSelection =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'unsatisfiable' }
  | { readonly kind: 'ranges'; readonly ranges: readonly ByteRange[] };

/** One range-spec as written: `first-last`, `first-` (last null), or a suffix `-n`. */
export type RangeSpec = { first: number; last: number | null } | { suffix: number };

const IGNORE: RangeSelection = { kind: 'ignore' };
const UNSATISFIABLE: RangeSelection = { kind: 'unsatisfiable' };
const DIGITS = /^\d+$/;

/**
 * Parses `ranges-specifier = range-unit "=" range-set` for the byte unit;
 * null when the value is not a valid byte ranges-specifier. The unit is
 * case-insensitive (§14.1); no whitespace is allowed around "=" or inside a
 * range-spec, but list elements may have it around their commas. More than
 * `max` range-specs also gives null: such a field is ignored whole.
 */
export function parseRangeSpecs(value: string, max = MAX_RANGES): RangeSpec[] | null {
  const eq = value.indexOf('=');
  if (eq < 0 || value.slice(0, eq).toLowerCase() !== 'bytes') return null;
  const specs: RangeSpec[] = [];
  for (const element of value.slice(eq + 1).split(',')) {
    const spec = element.replace(/^[ \t]+|[ \t]+$/g, '');
    if (spec === '') continue; // empty list elements are allowed (§5.6.1.2)
    if (specs.length === max) return null;
    const dash = spec.indexOf('-');
    if (dash < 0) return null;
    const first = spec.slice(0, dash);
    const last = spec.slice(dash + 1);
    if (first === '') {
      if (!DIGITS.test(last)) return null;
      specs.push({ suffix: Number(last) });
    } else {
      if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return null;
      const f = Number(first);
      const l = last === '' ? null : Number(last);
      // §14.1.1: an int-range with last-pos < first-pos is invalid.
      if (l !== null && l < f) return null;
      specs.push({ first: f, last: l });
    }
  }
  return specs.length > 0 ? specs : null;
}

/**
 * The ranges to send for a Range field value and a representation of `size`
 * bytes. Numbers beyond 2^53 lose precision but stay larger than any size,
 * which is all the comparisons need.
 *
 * @example selectRanges('bytes=-10', 50) // { kind: 'ranges', ranges: [{ start: 40, end: 50 }] }
 */
export function selectRanges(value: string, size: number, max = MAX_RANGES): RangeSelection {
  const specs = parseRangeSpecs(value, max);
  if (specs === null) return IGNORE;
  const ranges: ByteRange[] = [];
  let suffixOnEmpty = false;
  for (const spec of specs) {
    if ('suffix' in spec) {
      // §14.1.3: "-0" is unsatisfiable; a suffix longer than the representation means all of it.
      if (spec.suffix === 0) continue;
      if (size === 0) {
        suffixOnEmpty = true;
        continue;
      }
      ranges.push({ start: Math.max(0, size - spec.suffix), end: size });
    } else {
      // §14.1.1: satisfiable iff first-pos < size; last-pos past the end means "to the end".
      if (spec.first >= size) continue;
      ranges.push({ start: spec.first, end: spec.last === null ? size : Math.min(spec.last + 1, size) });
    }
  }
  if (ranges.length === 0) {
    // A suffix-range on an empty representation is satisfiable but selects
    // nothing, which no Content-Range can express: send the (empty) whole.
    return suffixOnEmpty ? IGNORE : UNSATISFIABLE;
  }
  return { kind: 'ranges', ranges: coalesce(ranges) };
}

/**
 * Merges ranges that overlap or touch. Ranges that need no merging keep the
 * order the client asked for (§15.3.7.2 asks for it); once any merge happens
 * the result is in ascending order, which §14.1.1 allows when coalescing.
 */
export function coalesce(ranges: ByteRange[]): ByteRange[] {
  if (ranges.length < 2) return ranges;
  const sorted = ranges.slice().sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [];
  let cur = sorted[0]!;
  let merged = false;
  for (let i = 1; i < sorted.length; i++) {
    const r = sorted[i]!;
    if (r.start <= cur.end) {
      if (r.end > cur.end) cur = { start: cur.start, end: r.end };
      merged = true;
    } else {
      out.push(cur);
      cur = r;
    }
  }
  out.push(cur);
  return merged ? out : ranges;
}

/** `Content-Range: bytes first-last/size` for a range. */
export function contentRange(r: ByteRange, size: number): string {
  return `bytes ${r.start}-${r.end - 1}/${size}`;
}

/** `Content-Range: bytes *\/size`, for a 416. */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}
