/**
 * A small router: method + path patterns with `:name` parameters and a
 * trailing `*` wildcard. A path that matches no route is passed to the
 * fallback (404 by default); a path that matches with another method gets 405
 * with `Allow`. HEAD is served by GET routes; OPTIONS is answered with Allow.
 *
 * @example
 * const app = router()
 *   .get('/users/:id', (req, body, params) => json({ id: params.id }))
 *   .post('/upload/*', upload);
 */
import { HTTPError } from '../http/errors.js';
import type { BodyReader, Handler, HTTPReq, HTTPRes } from '../http/types.js';

export type Params = Record<string, string>;
export type RouteHandler = (req: HTTPReq, body: BodyReader, params: Params) => Promise<HTTPRes> | HTTPRes;

type Route = {
  method: string;
  /** Literal segments, ':name' parameters, or a final '*'. */
  segments: string[];
  handler: RouteHandler;
};

export type Router = Handler & {
  add(method: string, pattern: string, handler: RouteHandler): Router;
  get(pattern: string, handler: RouteHandler): Router;
  post(pattern: string, handler: RouteHandler): Router;
  put(pattern: string, handler: RouteHandler): Router;
  delete(pattern: string, handler: RouteHandler): Router;
  /** Any method. */
  all(pattern: string, handler: RouteHandler): Router;
};

const splitPath = (path: string): string[] => path.split('/').slice(1);

/** Matches `segments` against a request path; the parameters, or null. */
function match(segments: string[], parts: string[]): Params | null {
  const params: Params = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '*') {
      params['*'] = decode(parts.slice(i).join('/'));
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    if (seg.charCodeAt(0) === 0x3a /* : */) {
      if (part === '') return null;
      params[seg.slice(1)] = decode(part);
    } else if (seg !== part) {
      return null;
    }
  }
  return parts.length === segments.length ? params : null;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HTTPError(400, 'malformed percent-encoding in path');
  }
}

const notFound: Handler = () => {
  throw new HTTPError(404);
};

/** Creates a router; unmatched paths go to `fallback` (default: 404). */
export function router(fallback: Handler = notFound): Router {
  const routes: Route[] = [];
  const handle = (req: HTTPReq, body: BodyReader): Promise<HTTPRes> | HTTPRes => {
    const parts = splitPath(req.path);
    const allowed = new Set<string>();
    for (const r of routes) {
      const params = match(r.segments, parts);
      if (params === null) continue;
      if (r.method === '*' || r.method === req.method || (r.method === 'GET' && req.method === 'HEAD')) {
        return r.handler(req, body, params);
      }
      allowed.add(r.method);
      if (r.method === 'GET') allowed.add('HEAD');
    }
    if (allowed.size === 0) return fallback(req, body);
    const allow = [...allowed, 'OPTIONS'].join(', ');
    if (req.method === 'OPTIONS') return { code: 204, headers: { allow } };
    throw new HTTPError(405, undefined, { headers: { allow } });
  };
  const self = handle as Router;
  self.add = (method, pattern, handler) => {
    const segments = splitPath(pattern);
    const star = segments.indexOf('*');
    if (star >= 0 && star !== segments.length - 1) throw new Error(`'*' must end the pattern: ${pattern}`);
    routes.push({ method: method.toUpperCase(), segments, handler });
    return self;
  };
  self.get = (p, h) => self.add('GET', p, h);
  self.post = (p, h) => self.add('POST', p, h);
  self.put = (p, h) => self.add('PUT', p, h);
  self.delete = (p, h) => self.add('DELETE', p, h);
  self.all = (p, h) => self.add('*', p, h);
  return self;
}
