/**
 * A site's files: serveStatic, and what answers when it finds nothing at a
 * path, in this order (like nginx's try_files): the clean URL's file
 * (`/about` → `/about.html`), the first rewrite rule matching the path, and
 * for a single-page app the root's index.html. With clean URLs in
 * "redirect" mode, `/about.html` and `/dir/index.html` are first sent to
 * their clean form. Each fallback costs a lookup only when the path is a miss.
 */
import { errorStatus } from '../http/errors.js';
import type { BodyReader, Handler, HTTPReq, HTTPRes } from '../http/types.js';
import { redirect } from '../kit/redirect.js';
import { encodePath, hasExtension } from '../static/request-path.js';
import type { CleanUrls, RewriteRule } from './settings.js';
import { pathSegments } from './site-rules.js';
import { fillDestination } from './url-pattern.js';

export type SiteFilesOptions = {
  cleanUrls: CleanUrls;
  rewrites: readonly RewriteRule[];
  spa: boolean;
  /** The directory index file name (the one clean-URL redirects drop). Default "index.html". */
  index?: string;
};

/** `req` asking for `target` (a path, possibly with a query) instead. */
function withTarget(req: HTTPReq, target: string): HTTPReq {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  return { ...req, target, path, query };
}

export function siteFiles(files: Handler, options: SiteFilesOptions): Handler {
  const index = options.index ?? 'index.html';

  /** Where a miss is looked for next, in order. */
  const fallbacks = (req: HTTPReq, segments: readonly string[]): string[] => {
    const out: string[] = [];
    const last = segments[segments.length - 1];
    const dir = req.path.endsWith('/');
    if (options.cleanUrls !== false && last !== undefined && !dir && !last.endsWith('.html')) {
      out.push(encodePath([...segments.slice(0, -1), `${last}.html`], false));
    }
    for (const rule of options.rewrites) {
      const params = rule.pattern.match(segments);
      if (params !== null) {
        out.push(fillDestination(rule.destination, params, ''));
        break;
      }
    }
    if (options.spa && !(last !== undefined && hasExtension(last))) out.push(`/${index}`);
    return out;
  };

  return async (req: HTTPReq, body: BodyReader): Promise<HTTPRes> => {
    const segments = pathSegments(req);
    if (options.cleanUrls === 'redirect' && segments !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      const clean = cleanForm(segments, index);
      if (clean !== null) {
        const location = clean + (req.query === '' ? '' : `?${req.query}`);
        return redirect(location, 301);
      }
    }
    try {
      return await files(req, body);
    } catch (err) {
      if (errorStatus(err) !== 404 || segments === null) throw err;
      for (const target of fallbacks(req, segments)) {
        try {
          return await files(withTarget(req, target), body);
        } catch (e) {
          if (errorStatus(e) !== 404) throw e;
        }
      }
      throw err;
    }
  };
}

/** "/about.html" → "/about", "/docs/index.html" → "/docs/"; null when the path is clean already. */
function cleanForm(segments: readonly string[], index: string): string | null {
  const last = segments[segments.length - 1];
  if (last === undefined || !last.endsWith('.html')) return null;
  if (last === index) return encodePath(segments.slice(0, -1), true);
  if (last === '.html') return null;
  return encodePath([...segments.slice(0, -1), last.slice(0, -'.html'.length)], false);
}
