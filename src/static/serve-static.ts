/**
 * serveStatic: the handler that serves a directory tree over GET and HEAD.
 * It normalises the request path once, answers small unchanged files from
 * memory after one stat, and otherwise resolves, opens and stats the file
 * through its handle before handing the handle to the response body.
 */
import { stat } from 'node:fs/promises';
import { basename, resolve, sep } from 'node:path';
import { bodyFromBuffer } from '../http/body.js';
import { HTTPError } from '../http/errors.js';
import type { Handler, HTTPReq, HTTPRes } from '../http/types.js';
import { evaluatePreconditions } from './conditional.js';
import { cacheDelete, cacheLookup, cacheStore, createFileCache, isCacheable, isSameFile, type FileCache } from './file-cache.js';
import { readWholeFile } from './file-body.js';
import { prefersJson, readListing, renderHtmlListing, renderJsonListing } from './listing.js';
import { locate, resolveRoot, type Located } from './locate.js';
import { contentTypeFor } from './mime.js';
import { resolveOptions, type StaticOptions, type StaticSettings } from './options.js';
import { describeFile, NOSNIFF } from './representation.js';
import { dotfileStatus, encodePath, hasExtension, parseRequestPath, type RequestPath } from './request-path.js';
import { respondWithRepresentation } from './respond.js';

/** Methods a static resource supports (RFC 9110 §10.2.1 Allow). */
const ALLOW = 'GET, HEAD, OPTIONS';

/** What one request needs of the handler's state. */
type Site = {
  readonly root: string;
  /** Decoded segments of the mount prefix. */
  readonly prefix: readonly string[];
  readonly settings: StaticSettings;
  readonly cache: FileCache | null;
  /** The root's real path (symlinks resolved); null when symlinks may lead anywhere. */
  realRoot(refresh?: boolean): Promise<string | null>;
};

/**
 * A Handler serving the files under `root`. Refusals are thrown as HTTPError
 * (400 bad path, 403 denied, 404 absent, 405 method), so an application can
 * catch a 404 and try something else.
 *
 * @example
 * const server = createServer(serveStatic('./public', { maxAge: 60 }));
 */
export function serveStatic(root: string, options?: StaticOptions): Handler {
  const settings = resolveOptions(options);
  const rootPath = resolve(root);
  let realRoot: Promise<string> | null = null;
  const site: Site = {
    root: rootPath,
    prefix: prefixSegments(settings.prefix),
    settings,
    cache: settings.cache && settings.cacheMaxBytes > 0 ? createFileCache(settings.cacheMaxBytes, settings.cacheMaxFileBytes) : null,
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
    throw new HTTPError(405, undefined, { headers: { Allow: ALLOW, ...NOSNIFF } });
  }
  const path = withinPrefix(parseRequestPath(req.path), site.prefix);
  const refused = dotfileStatus(path.segments, site.settings.dotfiles);
  if (refused !== 0) throw refusal(refused);

  const fsPath = joinSegments(site.root, path.segments);
  const index = site.settings.index;
  if (site.cache !== null) {
    const key = !path.trailingSlash ? fsPath : index !== false ? fsPath + sep + index : null;
    const hit = key === null ? null : await fromCache(site, site.cache, key, req);
    if (hit !== null) return hit;
  }

  const found = await locateInRoot(site, fsPath);
  switch (found.kind) {
    case 'file':
      if (path.trailingSlash) {
        // "/file.txt/" names a directory that is not there.
        await found.fh.close();
        return notFound(site, req, path);
      }
      return serveFile(site, req, found, fsPath);
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
 * A cached file's response, if the entry is still the file at `key`; null
 * (and the entry dropped if stale) otherwise.
 */
async function fromCache(site: Site, cache: FileCache, key: string, req: HTTPReq): Promise<HTTPRes | null> {
  const entry = cacheLookup(cache, key);
  if (entry === undefined) return null;
  let st;
  try {
    st = await stat(key);
  } catch {
    cacheDelete(cache, key);
    return null;
  }
  if (!isSameFile(entry.stamp, st)) {
    cacheDelete(cache, key);
    return null;
  }
  return respondWithRepresentation(req, entry.rep, { bytes: entry.bytes }, site.settings.readBufferBytes);
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

/**
 * Serves an open file; takes ownership of `found.fh`. `key` is the path the
 * request named (the cache key), whose name also gives the Content-Type.
 */
async function serveFile(site: Site, req: HTTPReq, found: Located & { kind: 'file' }, key: string): Promise<HTTPRes> {
  let fh: typeof found.fh | null = found.fh;
  try {
    const { settings, cache } = site;
    const contentType = contentTypeFor(basename(key));
    let rep = describeFile(found.stat, contentType, settings);
    // Only a GET that will send data fills the cache: HEAD, 304 and 412 read no file data.
    if (
      cache !== null &&
      req.method === 'GET' &&
      isCacheable(cache, found.stat) &&
      evaluatePreconditions(req.method, req.headers, rep.validators) === 'proceed'
    ) {
      const bytes = await readWholeFile(fh, found.stat.size);
      if (bytes !== null) {
        cacheStore(cache, { path: key, stamp: found.stat, bytes, rep });
        return await respondWithRepresentation(req, rep, { bytes }, settings.readBufferBytes);
      }
      // It changed while we read it: describe it as it is now and stream it, uncached.
      rep = describeFile(await fh.stat(), contentType, settings);
    }
    const source = { fh };
    fh = null; // respondWithRepresentation owns it now
    return await respondWithRepresentation(req, rep, source, settings.readBufferBytes);
  } finally {
    await fh?.close();
  }
}

/** A directory URL: its index file, else a listing, else 404. */
async function serveDirectory(site: Site, req: HTTPReq, path: RequestPath, dirPath: string, fsPath: string): Promise<HTTPRes> {
  const { index, listing, dotfiles } = site.settings;
  if (index !== false) {
    const key = fsPath + sep + index;
    const found = await locateInRoot(site, key);
    if (found.kind === 'file') return serveFile(site, req, found, key);
    if (found.kind === 'forbidden') throw refusal(403);
  }
  if (!listing) throw refusal(404);
  const entries = await readListing(dirPath, dotfiles === 'allow', await site.realRoot());
  const shown = [...site.prefix, ...path.segments];
  const urlPath = shown.length === 0 ? '/' : `/${shown.join('/')}/`;
  const json = prefersJson(req.headers.get('accept'));
  const text = json ? renderJsonListing(urlPath, entries) : renderHtmlListing(urlPath, entries);
  return {
    code: 200,
    headers: {
      'Content-Type': json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      Vary: 'Accept',
      ...NOSNIFF,
    },
    body: bodyFromBuffer(text),
  };
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
  if (site.cache !== null) {
    const hit = await fromCache(site, site.cache, key, req);
    if (hit !== null) return hit;
  }
  const found = await locateInRoot(site, key);
  if (found.kind !== 'file') throw refusal(404);
  return serveFile(site, req, found, key);
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
