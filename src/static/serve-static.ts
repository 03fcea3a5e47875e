/**
 * serveStatic: the handler that serves a directory tree over GET and HEAD.
 * It normalises the request path once, answers small unchanged files from
 * memory after one stat, and otherwise resolves, opens and stats the file
 * through its handle; serve-file.ts then picks the representation (identity,
 * a precompressed sidecar, or compressed here) and answers.
 */
import { resolve, sep } from 'node:path';
import { bodyFromBuffer } from '../http/body.js';
import { isStandardMethod } from '../http/methods.js';
import { HTTPError } from '../http/errors.js';
import type { Handler, HTTPReq, HTTPRes } from '../http/types.js';
import { checkCompressionOptions } from './compressed-file.js';
import { cacheLookupChecked, createFileCache } from './file-cache.js';
import { listingResponse, readListing } from './listing.js';
import { locate, resolveRoot, type Located } from './locate.js';
import { resolveOptions, type StaticOptions } from './options.js';
import { NOSNIFF } from './representation.js';
import { dotfileStatus, encodePath, hasExtension, parseRequestPath, type RequestPath } from './request-path.js';
import { createPathStatter } from './path-stat.js';
import { serveFile, serveKnownSidecar, type FileSite } from './serve-file.js';
import { createSidecarIndex } from './sidecars.js';

/** Methods a static resource supports (RFC 9110 §10.2.1 Allow). */
const ALLOW = 'GET, HEAD, OPTIONS';

/** What one request needs of the handler's state. */
type Site = FileSite & {
  readonly root: string;
  /** Decoded segments of the mount prefix. */
  readonly prefix: readonly string[];
  /** The root's real path (symlinks resolved); null when symlinks may lead anywhere. */
  realRoot(refresh?: boolean): Promise<string | null>;
};

/**
 * A Handler serving the files under `root`. Refusals are thrown as HTTPError
 * (400 bad path, 403 denied, 404 absent, 405 method, 406 when the client
 * refuses identity and accepts no coding on offer), so an application can
 * catch a 404 and try something else.
 *
 * Content codings (see StaticOptions `compression` and `precompressed`): a
 * client that accepts br or gzip gets `app.js.br` / `app.js.gz` when they
 * sit beside `app.js`, else compressible files of at least 1 KiB are
 * compressed here (once, for files the memory cache holds). Each coded
 * representation has its own ETag, conditional requests are evaluated
 * against the one selected, Range requests always get identity bytes, and
 * every response for such a file carries Vary: Accept-Encoding.
 *
 * @example
 * const server = createServer(serveStatic('./public', { maxAge: 60 }));
 * const assets = serveStatic('./dist', { immutable: true, maxAge: 31536000, compression: { brotliQuality: 5 } });
 */
export function serveStatic(root: string, options?: StaticOptions): Handler {
  const settings = resolveOptions(options);
  if (settings.compression !== null) checkCompressionOptions(settings.compression);
  const rootPath = resolve(root);
  const stats = createPathStatter();
  let realRoot: Promise<string> | null = null;
  const site: Site = {
    root: rootPath,
    prefix: prefixSegments(settings.prefix),
    settings,
    stats,
    cache: settings.cache && settings.cacheMaxBytes > 0 ? createFileCache(settings.cacheMaxBytes, settings.cacheMaxFileBytes, stats) : null,
    sidecars: settings.precompressed ? createSidecarIndex() : null,
    locate: (path) => locateInRoot(site, path),
    realRoot: (refresh = false) => {
      if (settings.followSymlinksOutside) return Promise.resolve(null);
      if (realRoot === null || refresh) {
        const p = resolveRoot(rootPath);
        // A root that is missing now may appear later: don't remember the failure.
        p.catch(() => {
          if (realRoot === p) realRoot = null;
        });
        realRoot = p;
      }
      return realRoot;
    },
  };
  return (req) => serveRequest(site, req);
}

async function serveRequest(site: Site, req: HTTPReq): Promise<HTTPRes> {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') {
    if (method === 'OPTIONS') return { code: 204, headers: { Allow: ALLOW, ...NOSNIFF } };
    // RFC 9110 §15.6.2: a method nobody here recognizes is 501, a known one 405.
    if (!isStandardMethod(method)) throw new HTTPError(501, 'method not recognized');
    throw new HTTPError(405, undefined, { headers: { Allow: ALLOW, ...NOSNIFF } });
  }
  const path = withinPrefix(parseRequestPath(req.path), site.prefix);
  const refused = dotfileStatus(path.segments, site.settings.dotfiles);
  if (refused !== 0) throw refusal(refused);
  if (site.settings.hidden?.(path.segments)) throw refusal(404);

  const fsPath = joinSegments(site.root, path.segments);
  const index = site.settings.index;
  const key = !path.trailingSlash ? fsPath : index !== false ? fsPath + sep + index : null;
  if (key !== null) {
    const quick = await fromMemory(site, key, req);
    if (quick !== null) return quick;
  }

  const found = await locateInRoot(site, fsPath);
  switch (found.kind) {
    case 'file':
      if (path.trailingSlash) {
        // "/file.txt/" names a directory that is not there.
        await found.fh.close();
        return notFound(site, req, path);
      }
      return serveFile(site, req, { key: fsPath, stat: found.stat, entry: null, fh: found.fh });
    case 'directory':
      if (!path.trailingSlash) return redirectToDirectory([...site.prefix, ...path.segments], req.query);
      return serveDirectory(site, req, path, found.path, fsPath);
    case 'forbidden':
      throw refusal(403);
    default:
      return notFound(site, req, path);
  }
}

/**
 * The response for the file at `key` without opening it, when what is in
 * memory allows: its cache entry (still the file at `key`; a stale one is
 * dropped), or a known sidecar the request chooses. Null otherwise.
 */
export async function fromMemory(site: FileSite, key: string, req: HTTPReq): Promise<HTTPRes | null> {
  if (site.cache !== null) {
    const hit = await cacheLookupChecked(site.cache, key);
    if (hit !== null) return serveFile(site, req, { key, stat: hit.stat, entry: hit.entry, fh: null });
  }
  return serveKnownSidecar(site, req, key);
}

/** locate() inside the root; a root that moved (a "current" symlink switched by a deploy) is re-resolved once. */
async function locateInRoot(site: Site, fsPath: string): Promise<Located> {
  const found = await locate(fsPath, await site.realRoot());
  if (found.kind !== 'outside') return found;
  const before = await site.realRoot();
  const after = await site.realRoot(true);
  if (after === before) return found;
  return locate(fsPath, after);
}

/** A directory URL: its index file, else a listing, else 404. */
async function serveDirectory(site: Site, req: HTTPReq, path: RequestPath, dirPath: string, fsPath: string): Promise<HTTPRes> {
  const { index, listing, dotfiles } = site.settings;
  if (index !== false) {
    const key = fsPath + sep + index;
    const found = await locateInRoot(site, key);
    if (found.kind === 'file') return serveFile(site, req, { key, stat: found.stat, entry: null, fh: found.fh });
    if (found.kind === 'forbidden') throw refusal(403);
  }
  if (!listing) throw refusal(404);
  const hidden = site.settings.hidden;
  const hide = hidden === undefined ? undefined : (name: string) => hidden([...path.segments, name]);
  const entries = await readListing(dirPath, dotfiles === 'allow', await site.realRoot(), undefined, hide);
  return listingResponse(req, [...site.prefix, ...path.segments], entries);
}

/**
 * 301 to the slash form of a directory URL, keeping the query. The Location
 * is rebuilt from the normalised segments, so it always starts with a single
 * "/" ("//evil.example/" would be a redirect to another host).
 */
function redirectToDirectory(segments: readonly string[], query: string): HTTPRes {
  const location = encodePath(segments, true) + (query === '' ? '' : `?${query}`);
  return { code: 301, headers: { Location: location, ...NOSNIFF }, body: bodyFromBuffer('') };
}

/** 404, or with `spa` the root's index file for paths that don't look like files. */
async function notFound(site: Site, req: HTTPReq, path: RequestPath): Promise<HTTPRes> {
  const { spa, index } = site.settings;
  const last = path.segments[path.segments.length - 1];
  if (!spa || index === false || last === undefined || hasExtension(last)) throw refusal(404);
  const key = joinSegments(site.root, [index]);
  const quick = await fromMemory(site, key, req);
  if (quick !== null) return quick;
  const found = await locateInRoot(site, key);
  if (found.kind !== 'file') throw refusal(404);
  return serveFile(site, req, { key, stat: found.stat, entry: null, fh: found.fh });
}

function prefixSegments(prefix: string): readonly string[] {
  try {
    return parseRequestPath(prefix || '/').segments;
  } catch {
    throw new TypeError(`serveStatic: invalid prefix ${JSON.stringify(prefix)}`);
  }
}

/** The path relative to the mount prefix; 404 outside it (after normalisation: "/assets/../x" is outside). */
function withinPrefix(path: RequestPath, prefix: readonly string[]): RequestPath {
  if (prefix.length === 0) return path;
  const s = path.segments;
  if (s.length < prefix.length) throw refusal(404);
  for (let i = 0; i < prefix.length; i++) if (s[i] !== prefix[i]) throw refusal(404);
  // "/assets" itself is the root directory without its slash: redirected like any directory.
  const rest = s.slice(prefix.length);
  return { segments: rest, trailingSlash: path.trailingSlash };
}

function refusal(status: number): HTTPError {
  return new HTTPError(status, undefined, { headers: { ...NOSNIFF } });
}

/** The root joined with normalised segments (none is "", "." or ".." or holds a separator). */
function joinSegments(root: string, segments: readonly string[]): string {
  if (segments.length === 0) return root;
  return (root.endsWith(sep) ? root : root + sep) + segments.join(sep);
}
