/**
 * From a request's percent-encoded path to a list of plain path segments that
 * cannot leave the root: decoded exactly once, dot segments resolved, and
 * everything that could name something outside the root refused. Every access
 * decision is made on this normalised form, never on the raw path.
 */
import { HTTPError } from '../http/errors.js';
import type { DotfilesPolicy } from './options.js';

/** A request path, decoded and normalised. */
export type RequestPath = {
  /** Decoded segments: none is "", ".", ".." or contains "/" or NUL. */
  readonly segments: readonly string[];
  /** The path names a directory: it ended with "/" (or with a "." or ".." segment). */
  readonly trailingSlash: boolean;
};

/** Backslash and colon are separators (or drive letters) to Windows' path functions. */
const WINDOWS = process.platform === 'win32';

/**
 * Decodes and normalises a request path (RFC 3986 §5.2.4 dot-segment removal).
 * Throws HTTPError 400 for malformed percent-encoding, invalid UTF-8, NUL, a
 * path that does not start with "/", or dot segments that climb above the
 * root; 404 for a segment containing an encoded "/" (no file name can).
 * A backslash is an ordinary character, never a separator.
 *
 * @example parseRequestPath('/a/./b/../c%20d') // { segments: ['a', 'c d'], trailingSlash: false }
 */
export function parseRequestPath(path: string): RequestPath {
  if (path.charCodeAt(0) !== 0x2f /* / */) throw new HTTPError(400, 'request path must start with "/"');
  const raw = path.split('/');
  const segments: string[] = [];
  let trailingSlash = false;
  // raw[0] is the empty string before the leading "/".
  for (let i = 1; i < raw.length; i++) {
    const segment = decodeSegment(raw[i]!);
    const last = i === raw.length - 1;
    if (segment === '' || segment === '.') {
      trailingSlash = last;
    } else if (segment === '..') {
      // Climbing above the root is an attack, not a mistake a browser makes
      // (browsers resolve dot segments before sending): refuse, don't clamp.
      if (segments.length === 0) throw new HTTPError(400, 'path escapes the root');
      segments.pop();
      trailingSlash = last;
    } else {
      segments.push(segment);
      trailingSlash = false;
    }
  }
  if (segments.length === 0) trailingSlash = true;
  return { segments, trailingSlash };
}

function decodeSegment(raw: string): string {
  let s = raw;
  if (raw.includes('%')) {
    try {
      s = decodeURIComponent(raw);
    } catch {
      throw new HTTPError(400, 'malformed percent-encoding in path');
    }
  }
  if (s.includes('\0')) throw new HTTPError(400, 'NUL in path');
  if (s.includes('/')) throw new HTTPError(404);
  if (WINDOWS && (s.includes('\\') || s.includes(':'))) throw new HTTPError(404);
  return s;
}

/**
 * Applies the dotfiles policy: the status refusing the path (404 for
 * "ignore", 403 for "deny"), or 0 when it may be served. A leading
 * "/.well-known/" (RFC 8615) is always allowed; dotfiles inside it are not.
 */
export function dotfileStatus(segments: readonly string[], policy: DotfilesPolicy): 0 | 403 | 404 {
  if (policy === 'allow') return 0;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.charCodeAt(0) !== 0x2e /* . */) continue;
    if (i === 0 && s === '.well-known') continue;
    return policy === 'deny' ? 403 : 404;
  }
  return 0;
}

/** True for a name with a dot past its first character ("app.js", not "about" or ".env"). */
export function hasExtension(name: string): boolean {
  return name.lastIndexOf('.') > 0;
}

/**
 * Percent-encodes one path segment: everything but unreserved characters and
 * the sub-delims browsers leave alone. The result never contains "/", "?",
 * "#", ":" or "%" unencoded, so it is safe both in a Location and as a
 * relative link (a leading "a:" would read as a URL scheme).
 */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment);
}

/** The absolute, percent-encoded URL path for segments ("/" + ...). */
export function encodePath(segments: readonly string[], trailingSlash: boolean): string {
  let out = '';
  for (const s of segments) out += '/' + encodePathSegment(s);
  return trailingSlash || out === '' ? out + '/' : out;
}
