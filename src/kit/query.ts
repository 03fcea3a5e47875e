/**
 * The query of a request as URLSearchParams, parsed on first use and kept
 * for the request's lifetime (`req.query` stays the raw string). Its size is
 * bounded by the server's maxRequestLine.
 */
import type { HTTPReq } from '../http/types.js';

const parsed = new WeakMap<HTTPReq, URLSearchParams>();

/**
 * The request's query parameters (`?a=1&b=x+y` → a: "1", b: "x y"),
 * decoded as an HTML form would be. The same object on every call for one
 * request.
 *
 * @example
 * const page = Number(searchParams(req).get('page') ?? 1);
 * const tags = searchParams(req).getAll('tag');
 */
export function searchParams(req: HTTPReq): URLSearchParams {
  let params = parsed.get(req);
  if (params === undefined) {
    params = new URLSearchParams(req.query);
    parsed.set(req, params);
  }
  return params;
}
