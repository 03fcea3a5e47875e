/**
 * A small router: method + path patterns with `:name` parameters and a
 * trailing `*` wildcard, parameters typed from the pattern literal.
 *
 * - A path no route matches goes to the fallback (404 by default).
 * - A path some route matches, with a method none of them takes: 405 with
 *   `Allow` for a method the router recognizes, 501 for one it does not
 *   (RFC 9110 §9.1, §15.6.2). Recognized: the standard methods (GET, HEAD,
 *   POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH) and every method a
 *   route registers. Methods are case-sensitive: `get` is not GET. With the
 *   default fallback an unrecognized method is 501 on any path.
 * - HEAD is served by GET routes; OPTIONS is answered 204 with `Allow`.
 * - `.all(pattern, handler)` takes every method for its pattern.
 *
 * Parameters are decoded from the percent-encoded path: `:name` matches one
 * non-empty segment and is decoded once (it may then contain any character,
 * "/" from `%2F` included, so never use it as a file path). `*` matches the
 * rest of the path (possibly empty): `params['*']` is its segments decoded one
 * by one and joined with "/", and a segment that decodes to "." or ".." (400)
 * or holds an encoded "/" (404) is refused, so `/files/..%2f..%2fetc` can
 * never reach the handler as `../../etc`. `params['*raw']` is the same part
 * of the path as received, still percent-encoded (for a proxy). Malformed
 * percent-encoding is 400.
 *
 * @example
 * const app = router()
 *   .get('/users/:id/posts/:post', (req, body, params) => json({ user: params.id, post: params.post }))
 *   .patch('/users/:id', updateUser)
 *   .get('/files/*', (req, body, params) => sendFile(req, join(FILES, params['*'])));
 */
import { HTTPError, noteErrorFormatter, type ErrorFormatter } from '../http/errors.js';
import { isToken } from '../http/fields.js';
import { STANDARD_METHODS } from '../http/methods.js';
import type { BodyReader, Handler, HTTPReq, HTTPRes } from '../http/types.js';

/** Route parameters by name, decoded (see the module comment). */
export type Params = Record<string, string>;

/** The parameter a pattern segment declares: `:id` → "id", `*` → "*" and "*raw". */
type SegmentParam<S extends string> = S extends `:${infer Name}` ? Name : S extends '*' ? '*' | '*raw' : never;
type ParamNames<P extends string> = P extends `${infer Head}/${infer Tail}` ? SegmentParam<Head> | ParamNames<Tail> : SegmentParam<P>;

/**
 * The parameters of a path pattern, computed from its literal type:
 * `PathParams<'/users/:id/posts/:post'>` is `{ id: string; post: string }`,
 * `PathParams<'/files/*'>` is `{ '*': string; '*raw': string }`. A pattern
 * that is a plain `string` gives `Params`.
 */
export type PathParams<P extends string> = string extends P ? Params : { [K in ParamNames<P>]: string };

/**
 * A route's handler: a Handler with the route's parameters.
 *
 * @example
 * const show: RouteHandler<{ id: string }> = (req, body, params) => json(find(params.id));
 */
export type RouteHandler<P = Params> = (req: HTTPReq, body: BodyReader, params: P) => Promise<HTTPRes> | HTTPRes;

/** Options of router(). */
export type RouterOptions = {
  /** Answers paths no route matches. Default: 404 (501 for an unrecognized method). */
  fallback?: Handler;
  /**
   * Builds the response for every error thrown inside this router (by its
   * routes, its fallback, or its own 404/405/501), in place of the server's
   * `formatError`: e.g. JSON errors for an API mounted in a site. Exceptions
   * still reach the server's `onError`.
   */
  formatError?: ErrorFormatter;
};

type Route = {
  /** A method token, or ALL for `.all()`. */
  method: string;
  /** Literal segments, ':name' parameters, or a final '*'. */
  segments: string[];
  handler: RouteHandler;
};

type Register = <P extends string>(pattern: P, handler: RouteHandler<PathParams<P>>) => Router;

/** A router made by router(): a Handler, with methods that add routes and return it. */
export type Router = Handler & {
  /** Adds a route for `method` (a case-sensitive token such as "PROPFIND"). */
  add<P extends string>(method: string, pattern: P, handler: RouteHandler<PathParams<P>>): Router;
  /** GET, and HEAD through it. */
  get: Register;
  /** POST. */
  post: Register;
  /** PUT. */
  put: Register;
  /** PATCH (RFC 5789). */
  patch: Register;
  /** DELETE. */
  delete: Register;
  /** Every method, for this pattern. */
  all: Register;
  /** True for a method this router recognizes (standard, or registered by a route). */
  recognizes(method: string): boolean;
};

/** The method of `.all()` routes: not a token, so no request can name it. */
const ALL = ' all';
const PARAM_NAME = /^[A-Za-z_$][\w$]*$/;

const splitPath = (path: string): string[] => path.split('/').slice(1);

/** Matches `segments` against a request path; the parameters, or null. */
function match(segments: string[], parts: string[]): Params | null {
  let params: Params | null = null;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '*') {
      params ??= {};
      const rest = parts.slice(i);
      params['*'] = rest.map(decodeWildcardSegment).join('/');
      params['*raw'] = rest.join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    if (seg.charCodeAt(0) === 0x3a /* : */) {
      if (part === '') return null;
      params ??= {};
      params[seg.slice(1)] = decodeParam(part);
    } else if (seg !== part) {
      return null;
    }
  }
  return parts.length === segments.length ? (params ?? {}) : null;
}

function decode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HTTPError(400, 'malformed percent-encoding in path');
  }
}

/** Browsers remove dot segments before sending (RFC 3986 §5.2.4): one that arrives is an attack. */
function refuseDotSegment(s: string): void {
  if (s === '.' || s === '..') throw new HTTPError(400, 'dot segment in path');
}

function decodeParam(raw: string): string {
  const s = decode(raw);
  refuseDotSegment(s);
  return s;
}

function decodeWildcardSegment(raw: string): string {
  const s = decode(raw);
  refuseDotSegment(s);
  if (s.includes('/')) throw new HTTPError(404, 'encoded "/" in a path segment');
  if (s.includes('\0')) throw new HTTPError(400, 'NUL in path');
  return s;
}

/**
 * Creates a router. `router(fallback)` is short for `router({ fallback })`.
 *
 * @example
 * const api = router({ formatError: jsonErrors })
 *   .get('/api/todos/:id', (req, body, p) => json(find(p.id)));
 * const site = router(serveStatic('./public')).all('/api/*', api);
 */
export function router(options: Handler | RouterOptions = {}): Router {
  const { fallback, formatError } = typeof options === 'function' ? { fallback: options, formatError: undefined } : options;
  const routes: Route[] = [];
  const registered = new Set<string>();
  const recognizes = (method: string): boolean => STANDARD_METHODS.has(method) || registered.has(method);

  const dispatch = (req: HTTPReq, body: BodyReader): Promise<HTTPRes> | HTTPRes => {
    const method = req.method;
    const parts = splitPath(req.path);
    let allowed: Set<string> | null = null;
    for (const r of routes) {
      const params = match(r.segments, parts);
      if (params === null) continue;
      if (r.method === method || r.method === ALL || (r.method === 'GET' && method === 'HEAD')) {
        return r.handler(req, body, params);
      }
      allowed ??= new Set();
      allowed.add(r.method);
      if (r.method === 'GET') allowed.add('HEAD');
    }
    if (allowed === null) {
      if (fallback !== undefined) return fallback(req, body);
      throw new HTTPError(recognizes(method) ? 404 : 501);
    }
    if (!recognizes(method)) throw new HTTPError(501);
    const allow = [...allowed, 'OPTIONS'].join(', ');
    if (method === 'OPTIONS') return { code: 204, headers: { allow } };
    throw new HTTPError(405, undefined, { headers: { allow } });
  };

  const noted = (err: unknown): never => {
    noteErrorFormatter(err, formatError!);
    throw err;
  };
  const handle: Handler =
    formatError === undefined
      ? dispatch
      : (req, body) => {
          try {
            const r = dispatch(req, body);
            return r instanceof Promise ? r.catch(noted) : r;
          } catch (err) {
            return noted(err);
          }
        };

  const self = handle as Router;
  const addRoute = (method: string, pattern: string, handler: RouteHandler<never>): Router => {
    if (!pattern.startsWith('/')) throw new TypeError(`router: a pattern starts with "/": ${JSON.stringify(pattern)}`);
    const segments = splitPath(pattern);
    segments.forEach((seg, i) => {
      if (seg === '*' && i !== segments.length - 1) throw new TypeError(`router: '*' must end the pattern: ${pattern}`);
      if (seg.startsWith(':') && !PARAM_NAME.test(seg.slice(1))) {
        throw new TypeError(`router: parameter names are identifiers: ${JSON.stringify(seg)} in ${pattern}`);
      }
    });
    if (method !== ALL) registered.add(method);
    routes.push({ method, segments, handler: handler as RouteHandler });
    return self;
  };
  self.add = (method, pattern, handler) => {
    if (!isToken(method)) throw new TypeError(`router: a method is a token, got ${JSON.stringify(method)}`);
    return addRoute(method, pattern, handler);
  };
  self.get = (p, h) => addRoute('GET', p, h);
  self.post = (p, h) => addRoute('POST', p, h);
  self.put = (p, h) => addRoute('PUT', p, h);
  self.patch = (p, h) => addRoute('PATCH', p, h);
  self.delete = (p, h) => addRoute('DELETE', p, h);
  self.all = (p, h) => addRoute(ALL, p, h);
  self.recognizes = recognizes;
  return self;
}
