/**
 * Request methods the server recognizes (RFC 9110 §9.1): a method nobody
 * recognizes is answered 501, a recognized one that a resource does not
 * support 405 with `Allow` (§15.5.6, §15.6.2). Methods are case-sensitive:
 * `get` is not GET.
 */

/** The methods of RFC 9110 §9 plus PATCH (RFC 5789). */
export const STANDARD_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/** True for the methods every weft server recognizes. */
export const isStandardMethod = (method: string): boolean => STANDARD_METHODS.has(method);
