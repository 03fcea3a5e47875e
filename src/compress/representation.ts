/**
 * What makes a compressed response a distinct representation for caches:
 * its own entity tag, and Vary: Accept-Encoding on every response whose
 * coding was chosen from the request (RFC 9110 §8.8.3, §12.5.5).
 */
import { splitList } from '../http/fields.js';
import type { HeaderValue, ResponseHeaders } from '../http/types.js';
import { deleteHeader, headerKey, joinValue, setHeader } from '../http/headers.js';
import type { EncodingChoice } from './negotiate.js';
import type { CompressionPlan } from './plan.js';

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

/**
 * The header fields of a response sent as `plan` says, as a new object
 * (`headers` is not changed): with `plan.vary`, Vary gains Accept-Encoding;
 * with a coding, Content-Encoding is set, Content-Length removed (the
 * caller sets the coded length when it knows it, e.g. a sidecar's size)
 * and ETag becomes representationETag(). For a 304 (`code`), only Vary and
 * ETag change: the 304 describes the selected representation's validators.
 */
export function codedHeaders(headers: ResponseHeaders | undefined, plan: CompressionPlan, code = 200): ResponseHeaders {
  const out: ResponseHeaders = { ...headers };
  if (plan.vary) {
    const key = headerKey(out, 'vary');
    setHeader(out, 'Vary', mergeVary(key === undefined ? undefined : out[key]));
  }
  const coding = plan.coding;
  if (coding === 'identity' || coding === null) return out;
  const etagKey = headerKey(out, 'etag');
  if (etagKey !== undefined) {
    const etag = out[etagKey];
    if (typeof etag === 'string') out[etagKey] = representationETag(etag, coding);
  }
  if (code !== 304) {
    setHeader(out, 'Content-Encoding', coding);
    deleteHeader(out, 'content-length');
  }
  return out;
}
