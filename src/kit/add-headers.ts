/**
 * Adding header fields to whatever answers a request: the handler's
 * response, or the error response the server builds when the handler throws
 * (the fields are noted on the exception, which goes on unchanged, so
 * `onError` and the formatter still see it). Wrappers such as CORS and
 * request IDs use it, so their fields are on error responses too.
 */
import { mergeVary } from '../compress/representation.js';
import { noteErrorHeaders } from '../http/errors.js';
import { headerKey } from '../http/headers.js';
import type { BodyReader, Handler, HTTPReq, HTTPRes, ResponseHeaders } from '../http/types.js';

/**
 * A copy of `res` with the fields of `extra` it does not have yet; `Vary` is
 * merged with the response's own instead.
 */
export function addHeaders(res: HTTPRes, extra: ResponseHeaders): HTTPRes {
  const headers: ResponseHeaders = { ...res.headers };
  for (const name in extra) {
    const key = headerKey(headers, name);
    const value = extra[name]!;
    if (key === undefined) headers[name] = value;
    else if (name.toLowerCase() === 'vary') headers[key] = mergeVary(headers[key], String(value));
  }
  return { ...res, headers };
}

/** Runs `next` and adds `extra` to what answers the request, response or error. */
export function answerWithHeaders(next: Handler, req: HTTPReq, body: BodyReader, extra: ResponseHeaders): HTTPRes | Promise<HTTPRes> {
  const failed = (err: unknown): never => {
    noteErrorHeaders(err, extra);
    throw err;
  };
  let r: HTTPRes | Promise<HTTPRes>;
  try {
    r = next(req, body);
  } catch (err) {
    return failed(err);
  }
  return r instanceof Promise ? r.then((res) => addHeaders(res, extra), failed) : addHeaders(r, extra);
}
