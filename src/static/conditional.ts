/**
 * Conditional requests (RFC 9110 §13): evaluating If-Match,
 * If-Unmodified-Since, If-None-Match, If-Modified-Since and If-Range against
 * a representation's validators. Pure functions of the request's method and
 * header fields, so every precedence rule is testable without a file.
 */
import type { FieldList } from '../http/fields.js';
import { parseHttpDate } from '../http/date.js';

/** The validators of the selected representation (RFC 9110 §8.8). */
export type Validators = {
  /** Entity-tag as sent in ETag, quotes included (`"abc"` or `W/"abc"`); undefined when none. */
  readonly etag: string | undefined;
  /** Last-Modified in whole seconds since the epoch, as sent; undefined when none. */
  readonly lastModified: number | undefined;
};

/** Outcome of the preconditions: go on with the request, or answer 304 / 412 now. */
export type PreconditionResult = 'proceed' | 304 | 412;

/** A parsed entity-tag. */
type EntityTag = { weak: boolean; opaque: string };

/**
 * Evaluates the preconditions in the order of RFC 9110 §13.2.2:
 * 1. If-Match (strong comparison) false → 412;
 * 2. else If-Unmodified-Since (a valid date) false → 412;
 * 3. If-None-Match (weak comparison) false → 304 for GET/HEAD, 412 otherwise;
 * 4. else, for GET/HEAD, If-Modified-Since (a valid date) false → 304.
 * If-Range is separate (ifRangeAllowsRange), as it only chooses between 206 and 200.
 *
 * @example evaluatePreconditions('GET', headers, { etag: '"a"', lastModified: 784111777 }) // 304
 */
export function evaluatePreconditions(method: string, headers: FieldList, v: Validators): PreconditionResult {
  const isGetOrHead = method === 'GET' || method === 'HEAD';

  const ifMatch = headers.get('if-match');
  if (ifMatch !== undefined) {
    if (!matchesAny(ifMatch, v.etag, strongMatch)) return 412;
  } else {
    const ius = headers.get('if-unmodified-since');
    if (ius !== undefined && v.lastModified !== undefined) {
      const date = parseDateSeconds(ius);
      // §13.1.4: an invalid date is ignored; true when not modified since.
      if (date !== undefined && v.lastModified > date) return 412;
    }
  }

  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== undefined) {
    if (matchesAny(ifNoneMatch, v.etag, weakMatch)) return isGetOrHead ? 304 : 412;
  } else if (isGetOrHead) {
    const ims = headers.get('if-modified-since');
    if (ims !== undefined && v.lastModified !== undefined) {
      const date = parseDateSeconds(ims);
      // §13.1.3: an invalid date (or several) is ignored; false when not modified since.
      if (date !== undefined && v.lastModified <= date) return 304;
    }
  }
  return 'proceed';
}

/**
 * If-Range (RFC 9110 §13.1.5): true when the Range field may be honoured.
 * Call only for a GET with a Range field. An entity-tag must match strongly;
 * a date must equal Last-Modified exactly; anything else (a weak tag, an
 * invalid value, a representation without that validator) means "send it all".
 */
export function ifRangeAllowsRange(headers: FieldList, v: Validators): boolean {
  const value = headers.get('if-range');
  if (value === undefined) return true;
  if (value.startsWith('"') || value.startsWith('W/')) {
    const tag = parseEntityTag(value, 0);
    if (tag === null || tag.end !== value.length || v.etag === undefined) return false;
    const current = parseEntityTag(v.etag, 0);
    return current !== null && strongMatch(tag.tag, current.tag);
  }
  const date = parseDateSeconds(value);
  return date !== undefined && v.lastModified !== undefined && date === v.lastModified;
}

/** §8.8.3.2: strong comparison — both strong, same opaque-tag. */
function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** §8.8.3.2: weak comparison — same opaque-tag, weakness ignored. */
function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/**
 * If-Match / If-None-Match: true when the field value is "*" (the
 * representation exists) or lists a tag matching the current one. A field
 * that does not parse as `"*" / #entity-tag` matches nothing: If-Match then
 * fails (412) and If-None-Match passes, both the safe way.
 */
function matchesAny(field: string, current: string | undefined, match: (a: EntityTag, b: EntityTag) => boolean): boolean {
  if (field.trim() === '*') return true;
  if (current === undefined) return false;
  const cur = parseEntityTag(current, 0);
  if (cur === null) return false;
  const tags = parseEntityTagList(field);
  if (tags === null) return false;
  for (const t of tags) if (match(t, cur.tag)) return true;
  return false;
}

/**
 * `1#entity-tag` (empty list elements allowed, RFC 9110 §5.6.1.2); null when
 * malformed. Written out rather than with splitList: an opaque-tag may hold a
 * backslash, which is no escape here.
 */
export function parseEntityTagList(field: string): EntityTag[] | null {
  const out: EntityTag[] = [];
  let i = 0;
  const n = field.length;
  for (;;) {
    while (i < n && (field[i] === ' ' || field[i] === '\t' || field[i] === ',')) i++;
    if (i >= n) break;
    const parsed = parseEntityTag(field, i);
    if (parsed === null) return null;
    out.push(parsed.tag);
    i = parsed.end;
    while (i < n && (field[i] === ' ' || field[i] === '\t')) i++;
    if (i < n && field[i] !== ',') return null;
  }
  return out.length > 0 ? out : null;
}

/** `entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE` at `start`; etagc is %x21 / %x23-7E / obs-text. */
function parseEntityTag(s: string, start: number): { tag: EntityTag; end: number } | null {
  let i = start;
  let weak = false;
  if (s.startsWith('W/', i)) {
    weak = true;
    i += 2;
  }
  if (s.charCodeAt(i) !== 0x22) return null;
  const open = ++i;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return { tag: { weak, opaque: s.slice(open, i) }, end: i + 1 };
    if (c < 0x21 || c === 0x7f || c > 0xff) return null;
  }
  return null;
}

/** An HTTP-date as whole seconds since the epoch, or undefined if invalid. */
function parseDateSeconds(value: string): number | undefined {
  const ms = parseHttpDate(value.trim());
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
