/**
 * What the `weft` command serves, assembled from the layers: the demo routes
 * (with --demo), static files with compression and listings, and the
 * cross-cutting options (CORS, X-Weft-Pid).
 */
import { headerKey } from '../http/headers.js';
import { withCompression } from '../compress/with-compression.js';
import { HTTPError } from '../http/errors.js';
import type { Handler, HTTPRes, ResponseHeaders } from '../http/types.js';
import { serveStatic } from '../static/serve-static.js';
import type { StaticOptions } from '../static/options.js';
import type { CliConfig } from './cli-options.js';
import { addDemoRoutes, type DemoOptions } from './demo.js';
import { router } from './router.js';

export type SiteOptions = Pick<
  CliConfig,
  'demo' | 'cors' | 'spa' | 'listing' | 'compression' | 'cacheMaxAge' | 'exposePid'
> & {
  /** The directory served as static files. */
  root: string;
  /** With the demo: a directory of generated files mounted at /files/. */
  demoFiles?: string;
  demoOptions?: DemoOptions;
};

/** Adds `extra` to a response's headers unless the handler set them. */
function addHeaders(res: HTTPRes, extra: ResponseHeaders): HTTPRes {
  const headers: ResponseHeaders = { ...res.headers };
  for (const name in extra) if (headerKey(headers, name) === undefined) headers[name] = extra[name]!;
  return { ...res, headers };
}

/** Adds fixed headers to every response, errors included. */
export function withHeaders(handler: Handler, extra: ResponseHeaders): Handler {
  return async (req, body) => {
    try {
      return addHeaders(await handler(req, body), extra);
    } catch (err) {
      if (!(err instanceof HTTPError)) throw err;
      throw new HTTPError(err.status, err.message, { headers: { ...extra, ...err.headers }, close: err.close });
    }
  };
}

/** CORS for a public site: any origin, and preflight requests answered. */
export function withCors(handler: Handler): Handler {
  const inner = withHeaders(handler, { 'access-control-allow-origin': '*' });
  return (req, body) => {
    if (req.method === 'OPTIONS' && req.headers.has('access-control-request-method')) {
      return {
        code: 204,
        headers: {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
          'access-control-allow-headers': req.headers.get('access-control-request-headers') ?? '',
          'access-control-max-age': 600,
          vary: 'Access-Control-Request-Method, Access-Control-Request-Headers',
        },
      };
    }
    return inner(req, body);
  };
}

/** The command's handler. */
export function buildSite(options: SiteOptions): Handler {
  const staticOptions: StaticOptions = {
    listing: options.listing,
    spa: options.spa,
    compression: options.compression ? {} : false,
    ...(options.cacheMaxAge !== null ? { maxAge: options.cacheMaxAge } : {}),
  };
  const files = serveStatic(options.root, staticOptions);
  let handler: Handler = files;
  if (options.demo) {
    const app = router(files);
    addDemoRoutes(app, options.demoOptions);
    if (options.demoFiles !== undefined) {
      const generated = serveStatic(options.demoFiles, { prefix: '/files', listing: true });
      app.get('/files/*', (req, body) => generated(req, body));
      app.get('/files', () => ({ code: 301, headers: { location: '/files/' } }));
    }
    handler = app;
  }
  if (options.compression) handler = withCompression(handler);
  if (options.cors) handler = withCors(handler);
  if (options.exposePid) handler = withHeaders(handler, { 'x-weft-pid': String(process.pid) });
  return handler;
}
