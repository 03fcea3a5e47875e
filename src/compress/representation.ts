/**
 * What makes a compressed response a distinct representation for caches:
 * its own entity tag, and Vary: Accept-Encoding on every response whose
 * coding was chosen from the request (RFC 9110 §8.8.3, §12.5.5).
 */
import { splitList } from '../http/fields.js';
import type { HeaderValue } from '../http/types.js';
import { joinValue } from './headers.js';
import type { EncodingChoice } from './negotiate.js';

/**
 * The entity tag of a coded representation, from the identity one: the
 * coding goes inside the quotes, weakness is kept.
 * `"abc"` → `"abc-gzip"`, `W/"abc"` → `W/"abc-br"`; identity (or null) leaves
 * it unchanged. A compressed representation has different bytes, so it must
 * not share a strong tag with the identity one (RFC 9110 §8.8.3.3).
 *
 * Conditional requests (If-None-Match, If-Match) must be evaluated against
 * the tag of the representation selected for this request: choose the coding
 * first, then compute its tag, then evaluate the conditions.
 */
export function representationETag(etag: string, coding: EncodingChoice): string {
  if (coding === 'identity' || coding === null) return etag;
  // An unquoted (malformed) tag still gets a distinct value.
  if (etag.length < 2 || !etag.endsWith('"')) return `${etag}-${coding}`;
  return `${etag.slice(0, -1)}-${coding}"`;
}

/**
 * A Vary value that includes `field` (default Accept-Encoding): appended to
 * an existing value unless already listed (names compare case-insensitively);
 * `*` stays `*`, since it already varies on everything.
 *
 * @example
 * mergeVary(undefined) // 'Accept-Encoding'
 * mergeVary('Origin') // 'Origin, Accept-Encoding'
 * mergeVary('accept-encoding') // 'accept-encoding'
 */
export function mergeVary(existing: HeaderValue | undefined, field = 'Accept-Encoding'): string {
  if (existing === undefined) return field;
  const names = splitList(joinValue(existing));
  const lower = field.toLowerCase();
  let listed = false;
  for (const name of names) {
    if (name === '*') return '*';
    if (name.toLowerCase() === lower) listed = true;
  }
  if (!listed) names.push(field);
  return names.join(', ');
}
