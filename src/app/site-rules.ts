/**
 * The rules of a site config file as handler layers: response headers per
 * path, Cache-Control per path, redirects. Rules match a request path's
 * decoded, normalised segments (url-pattern.ts), parsed once per request.
 */
import { noteErrorHeaders } from '../http/errors.js';
import { setHeader } from '../http/headers.js';
import type { Handler, HTTPReq, HTTPRes } from '../http/types.js';
import { redirect } from '../kit/redirect.js';
import { parseRequestPath } from '../static/request-path.js';
import type { CacheRule, HeaderRule, RedirectRule } from './settings.js';
import { fillDestination } from './url-pattern.js';

const parsed = new WeakMap<HTTPReq, readonly string[] | null>();

/** The request path's decoded segments, or null when it is malformed (the file layer answers it with 400). */
export function pathSegments(req: HTTPReq): readonly string[] | null {
  let segments = parsed.get(req);
  if (segments === undefined) {
    try {
      segments = parseRequestPath(req.path).segments;
    } catch {
      segments = null;
    }
    parsed.set(req, segments);
  }
  return segments;
}

/**
 * Sets the fields of every rule matching the path (a later rule's value
 * wins) on the response, replacing the handler's; on an error response they
 * are added where the error's own fields leave room.
 */
export function withHeaderRules(handler: Handler, rules: readonly HeaderRule[]): Handler {
  return async (req, body) => {
    const segments = pathSegments(req);
    const extra: Record<string, string> = {};
    let any = false;
    if (segments !== null) {
      for (const rule of rules) {
        if (rule.pattern.match(segments) === null) continue;
        Object.assign(extra, rule.headers);
        any = true;
      }
    }
    if (!any) return handler(req, body);
    let res: HTTPRes;
    try {
      res = await handler(req, body);
    } catch (err) {
      noteErrorHeaders(err, extra);
      throw err;
    }
    const headers = { ...res.headers };
    for (const [name, value] of Object.entries(extra)) setHeader(headers, name, value);
    return { ...res, headers };
  };
}

/** Statuses whose Cache-Control a cache rule sets: the cacheable successes, and 304, which must repeat it (RFC 9110 §15.4.5). */
const CACHED_STATUSES = new Set([200, 203, 206, 304]);

/** Cache-Control of successful GET/HEAD responses on paths a rule matches (the last matching rule wins). */
export function withCacheRules(handler: Handler, rules: readonly CacheRule[]): Handler {
  return async (req, body) => {
    const res = await handler(req, body);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !CACHED_STATUSES.has(res.code)) return res;
    const segments = pathSegments(req);
    if (segments === null) return res;
    let value: string | undefined;
    for (const rule of rules) if (rule.pattern.match(segments) !== null) value = rule.cacheControl;
    if (value === undefined) return res;
    const headers = { ...res.headers };
    setHeader(headers, 'Cache-Control', value);
    return { ...res, headers };
  };
}

/**
 * The first redirect rule matching the path answers, with its status and the
 * filled-in destination (the query kept), percent-encoded where the config
 * file wrote characters a Location cannot carry ("/café").
 */
export function withRedirects(handler: Handler, rules: readonly RedirectRule[]): Handler {
  return (req, body) => {
    const segments = pathSegments(req);
    if (segments !== null) {
      for (const rule of rules) {
        const params = rule.pattern.match(segments);
        if (params === null) continue;
        return redirect(fillDestination(rule.destination, params, req.query), rule.status);
      }
    }
    return handler(req, body);
  };
}
