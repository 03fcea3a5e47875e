/**
 * sendFile: one file as the answer of a handler, with everything serveStatic
 * does for a file (it is the same code): strong ETag and Last-Modified,
 * conditional requests (304/412), single and multipart ranges with
 * If-Range, precompressed sidecars, compression on the fly, the small-file
 * memory cache. The path is the application's: it is not confined to a
 * root, so never build it from request input without checking it (a route's
 * `params['*']` is safe to join to a directory: it has no dot segments).
 */
import { basename, resolve } from 'node:path';
import { HTTPError } from '../http/errors.js';
import { setHeader } from '../http/headers.js';
import type { HTTPReq, HTTPRes } from '../http/types.js';
import { checkCompressionOptions } from '../static/compressed-file.js';
import { createFileCache } from '../static/file-cache.js';
import { locate } from '../static/locate.js';
import { resolveOptions, type StaticOptions } from '../static/options.js';
import { createPathStatter } from '../static/path-stat.js';
import { serveFile, type FileSite } from '../static/serve-file.js';
import { fromMemory } from '../static/serve-static.js';
import { createSidecarIndex } from '../static/sidecars.js';

/** serveStatic's options that apply to one file, and `attachment`. */
export type SendFileOptions = Pick<
  StaticOptions,
  | 'cacheControl'
  | 'maxAge'
  | 'immutable'
  | 'etag'
  | 'lastModified'
  | 'cache'
  | 'cacheMaxBytes'
  | 'cacheMaxFileBytes'
  | 'readBufferBytes'
  | 'compression'
  | 'precompressed'
> & {
  /**
   * Offer the file as a download (`Content-Disposition: attachment`), under
   * this name (true: the file's own name). Default: shown inline.
   */
  attachment?: boolean | string;
};

/**
 * The state one options object's files share: memory cache, sidecar index,
 * stat mode. Kept per options object, so pass the same object on every call
 * (a constant) to benefit from the cache.
 */
const sites = new WeakMap<object, FileSite>();
const NO_OPTIONS: SendFileOptions = {};

function siteFor(options: SendFileOptions): FileSite {
  let site = sites.get(options);
  if (site === undefined) {
    const settings = resolveOptions(options);
    if (settings.compression !== null) checkCompressionOptions(settings.compression);
    const stats = createPathStatter();
    site = {
      settings,
      stats,
      cache: settings.cache && settings.cacheMaxBytes > 0 ? createFileCache(settings.cacheMaxBytes, settings.cacheMaxFileBytes, stats) : null,
      sidecars: settings.precompressed ? createSidecarIndex() : null,
      locate: (path) => locate(path, null),
    };
    sites.set(options, site);
  }
  return site;
}

/**
 * Answers a GET or HEAD with the file at `path` (other methods: 405). 404
 * when it is missing or not a regular file, 403 when it cannot be read.
 *
 * @example
 * const DOWNLOADS = { maxAge: 3600, attachment: true };
 * app.get('/reports/:id', (req, body, p) => sendFile(req, reportPath(p.id), DOWNLOADS));
 */
export async function sendFile(req: HTTPReq, path: string, options: SendFileOptions = NO_OPTIONS): Promise<HTTPRes> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HTTPError(405, undefined, { headers: { Allow: 'GET, HEAD' } });
  const site = siteFor(options);
  const key = resolve(path);
  let res = await fromMemory(site, key, req);
  if (res === null) {
    const found = await locate(key, null);
    if (found.kind === 'forbidden') throw new HTTPError(403);
    if (found.kind !== 'file') throw new HTTPError(404);
    res = await serveFile(site, req, { key, stat: found.stat, entry: null, fh: found.fh });
  }
  const attachment = options.attachment;
  if (attachment !== undefined && attachment !== false) {
    const name = attachment === true ? basename(key) : attachment;
    res.headers = { ...res.headers };
    setHeader(res.headers, 'Content-Disposition', contentDisposition(name));
  }
  return res;
}

/**
 * `attachment; filename="..."` with an ASCII fallback and the exact name in
 * `filename*` (RFC 6266 §4.3, RFC 8187).
 *
 * @example contentDisposition('résumé.pdf') // `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`
 */
export function contentDisposition(name: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return ascii === name ? `${type}; filename="${name}"` : `${type}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}
