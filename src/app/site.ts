/**
 * What the `weft` command serves, assembled from the layers, outermost
 * first: header rules, CORS, compression, error pages, basic auth, cache
 * rules, redirects, the demo routes (with --demo), then the site's files
 * with their fallbacks (clean URLs, rewrites, SPA).
 */
import { relative, sep, isAbsolute } from 'node:path';
import { withCompression } from '../compress/with-compression.js';
import type { Handler, HTTPReq } from '../http/types.js';
import { answerWithHeaders } from '../kit/add-headers.js';
import { basicAuth, hashPassword } from '../kit/basic-auth.js';
import { cors } from '../kit/cors.js';
import { redirect } from '../kit/redirect.js';
import { serveStatic } from '../static/serve-static.js';
import { addDemoRoutes, type DemoOptions } from './demo.js';
import { withErrorPages } from './error-pages.js';
import { router } from './router.js';
import { cacheControlOf, type AuthSettings, type Settings } from './settings.js';
import { siteFiles } from './site-files.js';
import { withCacheRules, withHeaderRules, withRedirects } from './site-rules.js';

export type SiteOptions = {
  settings: Settings;
  /** User name → password hash, from resolveUsers(settings.auth). */
  users?: Readonly<Record<string, string>>;
  /** With the demo: a directory of generated files mounted at /files/. */
  demoFiles?: string;
  demoOptions?: DemoOptions;
  /** Files under the root never served nor listed (the config file). */
  hiddenFiles?: readonly string[];
  /** Handler exceptions answered with an error page (others reach the server's onError). */
  onError?: (err: unknown, req: HTTPReq) => void;
};

/** The users of `auth`, passwords given on the command line hashed now (scrypt: about 0.1 s each). */
export async function resolveUsers(auth: AuthSettings): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [user, c] of Object.entries(auth.users)) out[user] = 'hash' in c ? c.hash : await hashPassword(c.password);
  return out;
}

/** A `hidden` test for serveStatic: the files' paths under `root` as segments. */
function hiddenUnder(root: string, files: readonly string[]): ((segments: readonly string[]) => boolean) | undefined {
  const paths = files
    .map((f) => relative(root, f))
    .filter((r) => r !== '' && !r.startsWith('..') && !isAbsolute(r))
    .map((r) => r.split(sep));
  if (paths.length === 0) return undefined;
  // Asked of every request and every listed name: compared segment by segment, nothing joined.
  return (segments) => paths.some((p) => p.length === segments.length && p.every((s, i) => s === segments[i]));
}

/** The command's handler. */
export function buildSite(options: SiteOptions): Handler {
  const s = options.settings;
  const files = serveStatic(s.root, {
    listing: s.listing,
    compression: s.compression ? {} : false,
    cacheControl: cacheControlOf(s.cache),
    hidden: hiddenUnder(s.root, options.hiddenFiles ?? []),
  });
  let handler: Handler = siteFiles(files, { cleanUrls: s.cleanUrls, rewrites: s.rewrites, spa: s.spa });
  if (s.demo) {
    const app = router(handler);
    addDemoRoutes(app, options.demoOptions);
    if (options.demoFiles !== undefined) {
      const generated = serveStatic(options.demoFiles, { prefix: '/files', listing: true });
      app.get('/files/*', (req, body) => generated(req, body));
      app.get('/files', () => redirect('/files/', 301));
    }
    handler = app;
  }
  if (s.redirects.length > 0) handler = withRedirects(handler, s.redirects);
  if (s.cacheRules.length > 0) handler = withCacheRules(handler, s.cacheRules);
  if (s.auth !== null) {
    if (options.users === undefined) throw new TypeError('buildSite: auth needs the users resolveUsers() gives');
    handler = basicAuth({ users: options.users, realm: s.auth.realm })(handler);
  }
  handler = withErrorPages(handler, files, s.errorPages, options.onError ?? ((err) => console.error('weft: handler error:', err)));
  if (s.compression) handler = withCompression(handler);
  if (s.cors) handler = cors()(handler);
  if (s.headers.length > 0) handler = withHeaderRules(handler, s.headers);
  if (s.exposePid) {
    const inner = handler;
    const pid = { 'x-weft-pid': String(process.pid) };
    handler = (req, body) => answerWithHeaders(inner, req, body, pid);
  }
  return handler;
}
