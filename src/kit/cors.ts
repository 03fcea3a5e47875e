/**
 * CORS (the Fetch standard's CORS protocol): which other origins may read
 * responses, and answers to preflight requests. A request without `Origin`
 * is not a cross-origin request and passes through untouched (but for
 * `Vary: Origin` when the answer depends on the origin).
 *
 * - An allowed origin gets `Access-Control-Allow-Origin` (and the other
 *   fields below) on every response, error responses included.
 * - A preflight (OPTIONS with `Access-Control-Request-Method`) from an
 *   allowed origin is answered here with 204; the handler never sees it.
 * - A disallowed origin gets no CORS field: the browser then refuses to let
 *   the page read the response. Its preflight goes to the handler as a plain
 *   OPTIONS request.
 *
 * @example
 * const app = compose(cors({ origin: ['https://app.example'], credentials: true }))(api);
 */
import { splitList, isToken } from '../http/fields.js';
import type { Handler, HTTPReq, ResponseHeaders } from '../http/types.js';
import type { Wrapper } from './compose.js';
import { answerWithHeaders } from './add-headers.js';

/** Options of cors(); every one has a default. */
export type CorsOptions = {
  /**
   * Who may read responses: "*" (anyone, the default), an origin
   * ("https://app.example"), a list of them, a RegExp tested on the Origin
   * field, or a function of it.
   */
  origin?: string | readonly string[] | RegExp | ((origin: string, req: HTTPReq) => boolean);
  /** Methods a preflight allows. Default GET, HEAD, POST, PUT, PATCH, DELETE. */
  methods?: readonly string[];
  /** Request headers a preflight allows. Default: those it asks for. */
  allowHeaders?: readonly string[];
  /** Response headers the page may read beyond the CORS-safelisted ones. Default none. */
  exposeHeaders?: readonly string[];
  /** Let the page send cookies and read the answer (`Access-Control-Allow-Credentials`). Not with origin "*". Default false. */
  credentials?: boolean;
  /** How long a browser may cache a preflight answer (seconds). Default 600. */
  maxAge?: number;
};

/** How long a browser may reuse a preflight answer by default (seconds). Chromium caps it at 7200. */
export const DEFAULT_CORS_MAX_AGE = 600;
const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i;

/**
 * The CORS wrapper. Throws a TypeError for options that cannot be right (an
 * origin with a path, credentials for every origin).
 *
 * @example
 * createServer(cors()(app));                                  // any origin, no credentials
 * cors({ origin: /^https:\/\/[a-z]+\.example\.com$/, exposeHeaders: ['X-Request-Id'] });
 */
export function cors(options: CorsOptions = {}): Wrapper {
  const allows = originTest(options.origin ?? '*');
  const anyOrigin = options.origin === undefined || options.origin === '*';
  const credentials = options.credentials ?? false;
  if (anyOrigin && credentials) {
    throw new TypeError('cors: credentials with origin "*" would let every site act as your users; list the origins');
  }
  const methods = (options.methods ?? DEFAULT_METHODS).join(', ');
  const allowHeaders = options.allowHeaders?.join(', ');
  const maxAge = options.maxAge ?? DEFAULT_CORS_MAX_AGE;
  for (const list of [options.methods, options.allowHeaders, options.exposeHeaders]) {
    for (const name of list ?? []) if (!isToken(name)) throw new TypeError(`cors: not a token: ${JSON.stringify(name)}`);
  }

  const common: ResponseHeaders = {};
  if (credentials) common['access-control-allow-credentials'] = 'true';
  if (options.exposeHeaders?.length) common['access-control-expose-headers'] = options.exposeHeaders.join(', ');
  const varyOnly: ResponseHeaders = anyOrigin ? {} : { vary: 'Origin' };

  return (next: Handler): Handler =>
    (req, body) => {
      const origin = req.headers.get('origin');
      if (origin === undefined || !allows(origin, req)) {
        return anyOrigin ? next(req, body) : answerWithHeaders(next, req, body, varyOnly);
      }
      const allowOrigin = anyOrigin ? '*' : origin;
      if (req.method === 'OPTIONS' && req.headers.has('access-control-request-method')) {
        const asked = req.headers.get('access-control-request-headers');
        const headers: ResponseHeaders = {
          'access-control-allow-origin': allowOrigin,
          'access-control-allow-methods': methods,
          'access-control-max-age': maxAge,
          vary: anyOrigin ? 'Access-Control-Request-Headers' : 'Origin, Access-Control-Request-Headers',
          ...common,
        };
        const reflected = allowHeaders ?? (asked === undefined ? undefined : tokensOnly(asked));
        if (reflected) headers['access-control-allow-headers'] = reflected;
        return { code: 204, headers };
      }
      const extra: ResponseHeaders = { 'access-control-allow-origin': allowOrigin, ...common, ...varyOnly };
      return answerWithHeaders(next, req, body, extra);
    };
}

/** The requested header names that are tokens (anything else is not echoed into a response field). */
function tokensOnly(list: string): string {
  return splitList(list).filter(isToken).join(', ');
}

function originTest(origin: NonNullable<CorsOptions['origin']>): (origin: string, req: HTTPReq) => boolean {
  if (typeof origin === 'function') return origin;
  if (origin instanceof RegExp) return (o) => origin.test(o);
  if (origin === '*') return () => true;
  const list = typeof origin === 'string' ? [origin] : origin;
  for (const o of list) {
    if (o !== 'null' && !ORIGIN.test(o)) {
      throw new TypeError(`cors: an origin is scheme://host[:port] with no path, got ${JSON.stringify(o)}`);
    }
  }
  const set = new Set(list.map((o) => o.toLowerCase()));
  return (o) => set.has(o.toLowerCase());
}
