/**
 * Whether a response is worth compressing: its media type, its size, and the
 * protocol cases where a content coding must not be applied (partial content,
 * no content, already encoded, no-transform).
 */
import { splitList } from '../http/fields.js';
import type { HTTPReq, ResponseHeaders } from '../http/types.js';
import { headerKey, headerText } from '../http/headers.js';
import { DEFAULT_MIN_SIZE } from './limits.js';
import type { CompressionOptions } from './options.js';

/**
 * application/* and image/* types that compress well. Everything text/*,
 * +json, +xml and +yaml does too (see isCompressibleType); what is not
 * listed (images, audio, video, archives, woff/woff2, pdf, octet-stream) is
 * already compressed or unknown, and recompressing it burns CPU for nothing.
 */
const COMPRESSIBLE_TYPES: ReadonlySet<string> = new Set([
  'application/json',
  'application/ld+json',
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'application/xml',
  'application/wasm',
  'application/ndjson',
  'application/x-ndjson',
  'application/jsonl',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/graphql',
  'application/sql',
  'application/x-www-form-urlencoded',
  'application/rtf',
  'application/postscript',
  'application/x-sh',
  'application/x-tar',
  'application/vnd.apple.mpegurl',
  'application/x-mpegurl',
  'application/vnd.ms-fontobject',
  'application/x-font-ttf',
  'application/x-font-otf',
  'application/x-font-truetype',
  'application/x-font-opentype',
  'font/ttf',
  'font/otf',
  'font/collection',
  'font/eot',
  'image/bmp',
  'image/x-ms-bmp',
  'image/x-icon',
  'image/vnd.microsoft.icon',
]);

/**
 * The media type of a Content-Type value, lower-cased, without parameters:
 * `Text/HTML; charset=utf-8` → `text/html`.
 */
export function mediaTypeOf(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * Whether a media type (from mediaTypeOf) compresses well: text/*, JSON,
 * JavaScript, XML, SVG, WebAssembly, manifests, ndjson, uncompressed fonts...
 */
export function isCompressibleType(mediaType: string): boolean {
  if (mediaType.startsWith('text/')) return true;
  if (COMPRESSIBLE_TYPES.has(mediaType)) return true;
  return mediaType.endsWith('+json') || mediaType.endsWith('+xml') || mediaType.endsWith('+yaml');
}

/** The parts of a request the decision reads. */
export type RequestLike = Pick<HTTPReq, 'method' | 'headers'>;

/** The parts of a response the decision reads: an HTTPRes fits, and so does a plain description. */
export type ResponseLike = {
  readonly code: number;
  readonly headers?: ResponseHeaders;
  readonly body?: { readonly length: number };
  readonly compress?: boolean;
};

/**
 * Whether the response could be sent with a content coding, whatever the
 * client accepts: true means negotiate, and the response varies on
 * Accept-Encoding. HEAD is answered as GET would be, so both get the same
 * header fields (the HEAD body is not compressed: nothing is sent).
 *
 * Never when codingPermitted() says no, or for an empty body. Unless
 * `res.compress === true`: not with `Cache-Control: no-transform` (response
 * or request), media types that do not compress (isCompressible) or no
 * Content-Type, and known lengths below `minSize`.
 *
 * @example
 * shouldCompress(req, { code: 200, headers: { 'content-type': 'text/css' }, body: { length: 20_000 } }) // true
 * shouldCompress(req, { code: 200, headers: { 'content-type': 'image/png' }, body: { length: 20_000 } }) // false
 */
export function shouldCompress(req: RequestLike, res: ResponseLike, options: CompressionOptions = {}): boolean {
  if (!codingPermitted(req, res)) return false;
  const length = res.body === undefined ? 0 : res.body.length;
  if (length === 0) return false;
  if (res.compress === true) return true;
  if (!worthCompressing(req, res.headers, options, false)) return false;
  return length < 0 || length >= (options.minSize ?? DEFAULT_MIN_SIZE);
}

/**
 * The rules a content coding must follow whatever the application wants:
 * not when `res.compress === false`; not for statuses without content to
 * encode (1xx, 204, 205, 304) nor 206 (ranges apply to the identity bytes);
 * not for requests with Range (a client resuming a download counts identity
 * bytes) nor CONNECT; not over an existing Content-Encoding.
 */
export function codingPermitted(req: RequestLike, res: ResponseLike): boolean {
  if (res.compress === false || !encodableStatus(res.code)) return false;
  if (req.method === 'CONNECT' || req.headers.has('range')) return false;
  return headerKey(res.headers, 'content-encoding') === undefined;
}

/**
 * The heuristic part, which `compress: true` overrides: no no-transform
 * directive, and a compressible media type. `untyped` answers for a
 * response without Content-Type (a 304 usually has none).
 */
export function worthCompressing(
  req: RequestLike,
  headers: ResponseHeaders | undefined,
  options: CompressionOptions,
  untyped: boolean,
): boolean {
  if (hasNoTransform(headerText(headers, 'cache-control')) || hasNoTransform(req.headers.get('cache-control'))) {
    return false;
  }
  const type = headerText(headers, 'content-type');
  if (type === undefined) return untyped;
  return (options.isCompressible ?? isCompressibleType)(mediaTypeOf(type));
}

/** Statuses whose content a coding may apply to. */
function encodableStatus(code: number): boolean {
  return code >= 200 && code !== 204 && code !== 205 && code !== 206 && code !== 304;
}

/** True if a Cache-Control value has the no-transform directive (RFC 9111 §5.2.1.6, §5.2.2.6). */
export function hasNoTransform(cacheControl: string | undefined): boolean {
  if (cacheControl === undefined) return false;
  for (const directive of splitList(cacheControl)) if (directive.toLowerCase() === 'no-transform') return true;
  return false;
}
