/**
 * Compression for any handler's responses (dynamic content): negotiates,
 * then rewrites the response's header fields and body.
 */
import { bodyFromBuffer } from '../http/body.js';
import { HTTPError } from '../http/errors.js';
import type { BodyReader, HTTPReq, HTTPRes, Handler } from '../http/types.js';
import { compressBody, compressBuffer } from './compress-body.js';
import { headerKey } from '../http/headers.js';
import { ONE_SHOT_MAX_BYTES } from './limits.js';
import type { CompressionOptions } from './options.js';
import { planCompression } from './plan.js';
import { codedHeaders } from './representation.js';

const EMPTY = Buffer.alloc(0);

/**
 * Wraps a handler so that its responses are compressed when worth it and
 * the client accepts a coding (see planCompression, shouldCompress).
 * A response left alone: `res.compress === false`, Content-Encoding already
 * present, not compressible. Otherwise it gets `Vary: Accept-Encoding`, and
 * when a coding is chosen: Content-Encoding, no Content-Length, its ETag
 * suffixed with the coding (representationETag), and a compressed body
 * (length -1, sent chunked). In-memory bodies up to ONE_SHOT_MAX_BYTES are
 * compressed in one call and keep a Content-Length.
 * When the client accepts neither a coding nor identity, throws
 * HTTPError(406) with the Vary field.
 *
 * The handler's own conditional requests see the identity ETag: a handler
 * that answers 304 itself should compare against representationETag(tag,
 * coding) for the coding this wrapper will choose, or leave ETags to a
 * layer below.
 *
 * @example
 * const app = withCompression(async (req) => ({
 *   code: 200,
 *   headers: { 'content-type': 'application/json' },
 *   body: bodyFromBuffer(JSON.stringify(data)),
 * }));
 */
export function withCompression(handler: Handler, options: CompressionOptions = {}): Handler {
  return async (req, body) => compressResponse(req, await handler(req, body), options);
}

/**
 * What withCompression() does to one response, for callers that produce
 * responses themselves. Takes ownership of `res.body`: the returned response
 * carries it (or a reader that owns it), or it is closed.
 */
export async function compressResponse(req: HTTPReq, res: HTTPRes, options: CompressionOptions = {}): Promise<HTTPRes> {
  const plan = planCompression(req, res, options);
  if (!plan.vary) return res;
  // A new object: handlers may return one headers object for many responses.
  const headers = codedHeaders(res.headers, plan, res.code);
  const coding = plan.coding;
  if (coding === null) {
    await res.body?.close?.();
    throw new HTTPError(406, undefined, { headers: { Vary: headers[headerKey(headers, 'vary')!]! } });
  }
  if (coding === 'identity' || res.body === undefined) return { ...res, headers };

  const inner = res.body;
  let body: BodyReader;
  if (req.method === 'HEAD') {
    // Same header fields as GET, no compression work: the server does not read a HEAD body.
    body = { length: -1, read: async () => EMPTY, close: () => inner.close?.() };
  } else if (inner.bytes !== undefined && inner.bytes.length <= ONE_SHOT_MAX_BYTES) {
    let compressed: Buffer;
    try {
      compressed = await compressBuffer(inner.bytes, coding, options);
    } finally {
      await inner.close?.();
    }
    body = bodyFromBuffer(compressed);
  } else {
    body = compressBody(inner, coding, options);
  }
  return { ...res, headers, body };
}
