/**
 * serveStatic: the handler that serves a directory tree over GET and HEAD.
 * A request goes through it in this order (serveRequest):
 * 1. the method: GET and HEAD are served, OPTIONS answered, others refused;
 * 2. the path: decoded and normalised once per distinct path
 *    (request-path.ts), refused when it leaves the mount, names a dotfile
 *    or a hidden file, mapped to the file it names;
 * 3. memory: a cached file still trusted is answered at once
 *    (serve-file.ts), synchronously: no promise, and no system call
 *    within `recheckMs` of its last check (a stat after that);
 * 4. the disk: while the filesystem is fast, the file opened on the event
 *    loop inside the root (serve-file.ts fromDiskNow, real-dirs.ts; no
 *    thread), a small one read whole, a larger one read as it is sent;
 *    else, and for what is not a regular file, the path found inside the
 *    root, opened and stat()ed through its handle (locate.ts) on the thread
 *    pool. A file is answered (and cached) by serve-file.ts, a directory by
 *    its index file or a listing.
 * serve-file.ts then chooses the representation, and respond.ts evaluates
 * the preconditions and ranges and builds the response.
 */
import { resolve, sep } from 'node:path';
import { bodyFromBuffer } from '../http/body.js';
import { isStandardMethod } from '../http/methods.js';
import { HTTPError } from '../http/errors.js';
import type { Handler, HTTPReq, HTTPRes } from '../http/types.js';
import { checkCompressionOptions } from './compressed-file.js';
import { createFileCache } from './file-cache.js';
import { listingResponse, readListing } from './listing.js';
import { locate, resolveRoot, type Located } from './locate.js';
import { PATH_MEMO_MAX_ENTRIES, PATH_MEMO_MAX_PATH_LENGTH, resolveOptions, type StaticOptions } from './options.js';
import { NOSNIFF } from './representation.js';
import { dotfileStatus, encodePath, hasExtension, parseRequestPath, type RequestPath } from './request-path.js';
import { createPathStatter } from './path-stat.js';
import { fromDiskNow, fromMemory, serveOpened, type FileSite } from './serve-file.js';
import { createRealDirs, type Inside } from './real-dirs.js';
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
  /**
   * What step 4 confines a file to: the root's real path as realRoot() last
   * resolved it, with the directories remembered under it; null when
   * symlinks may lead anywhere, undefined before the root is resolved.
   */
  insideNow(): Inside | null | undefined;
  /** Request paths already normalised (step 2), by raw path. */
  readonly targets: Map<string, Target>;
};

/** What a request path names, worked out once per distinct path. */
type Target = {
  /** The normalised path below the mount prefix. */
  readonly path: RequestPath;
  /** The status refusing it (dotfiles policy), or 0. */
  readonly refused: 0 | 403 | 404;
  /** The filesystem path it names. */
  readonly fsPath: string;
  /** The file answered for it: fsPath, or a directory's index file; null for a directory without index. */
  readonly key: string | null;
};

/**
 * A Handler serving the files under `root`. Refusals are thrown as HTTPError
 * (400 bad path, 403 denied, 404 absent, 405 method, 406 when the client
 * refuses identity and accepts no coding on offer), so an application can
 * catch a 404 and try something else. A file in memory is answered without
 * a promise: the handler returns the response itself.
 *
 * Content codings (see StaticOptions `compression` and `precompressed`): a
 * client that accepts br or gzip gets `app.js.br` / `app.js.gz` when they
 * sit beside `app.js`, else compressible files of at least 1 KiB are
 * compressed here (once, for files the memory cache holds). Each coded
 * representation has its own ETag, conditional requests are evaluated
 * against the one selected, Range requests always get identity bytes, and
 * every response for such a file carries Vary: Accept-Encoding.
 *
 * Freshness: see StaticOptions `recheckMs`.
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
  const dirs = createRealDirs(settings.recheckMs);
  let inside: Inside | undefined;
  const site: Site = {
    root: rootPath,
    prefix: prefixSegments(settings.prefix),
    settings,
    stats,
    cache:
      settings.cache && settings.cacheMaxBytes > 0
        ? createFileCache(settings.cacheMaxBytes, settings.cacheMaxFileBytes, stats, settings.recheckMs)
        : null,
    sidecars: settings.precompressed ? createSidecarIndex() : null,
    locate: (path) => locateInRoot(site, path),
    realRoot: (refresh = false) => {
      if (settings.followSymlinksOutside) return Promise.resolve(null);
      if (realRoot === null || refresh) {
        const p = resolveRoot(rootPath);
        // A root that is missing now may appear later: don't remember the failure.
        p.then(
          (real) => {
            if (realRoot === p && inside?.realRoot !== real) inside = { realRoot: real, dirs };
          },
          () => {
            if (realRoot === p) realRoot = null;
          },
        );
        realRoot = p;
      }
      return realRoot;
    },
    insideNow: () => (settings.followSymlinksOutside ? null : inside),
    targets: new Map(),
  };
  return (req) => serveRequest(site, req);
}

/** One request, in the order of the steps above. */
function serveRequest(site: Site, req: HTTPReq): HTTPRes | Promise<HTTPRes> {
  // 1. The method.
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') return otherMethod(method);

  // 2. The path.
  const target = site.targets.get(req.path) ?? targetOf(site, req.path);
  if (target.refused !== 0) throw refusal(target.refused);
  if (site.settings.hidden?.(target.path.segments)) throw refusal(404);

  // 3. Memory.
  if (target.key !== null) {
    const answered = fromMemory(site, target.key, req);
    if (answered instanceof Promise) return answered.then((res) => res ?? fromDisk(site, req, target));
    if (answered !== null) return answered;
  }

  // 4. The disk: on the event loop while the filesystem is fast, else through the thread pool.
  if (target.key !== null && !target.path.trailingSlash) {
    const inside = site.insideNow();
    if (inside !== undefined) {
      const answered = fromDiskNow(site, req, target.key, inside);
      if (answered !== null) return answered;
    }
  }
  return fromDisk(site, req, target);
}

/** OPTIONS gets Allow; a method nobody here recognizes is 501, a known one 405 (RFC 9110 §15.6.2). */
function otherMethod(method: string): HTTPRes {
  if (method === 'OPTIONS') return { code: 204, headers: { Allow: ALLOW, ...NOSNIFF } };
  if (!isStandardMethod(method)) throw new HTTPError(501, 'method not recognized');
  throw new HTTPError(405, undefined, { headers: { Allow: ALLOW, ...NOSNIFF } });
}

/** Normalises a request path (throwing 400/404 for bad ones) and remembers what it names, when it is short. */
function targetOf(site: Site, requestPath: string): Target {
  // A copy of its own: the request's path is a slice of its whole head, which
  // a memo entry would otherwise keep alive (up to maxHeadSize per path).
  // Exact for a path parsed from a head (latin1); another is not remembered.
  const copy = requestPath.length <= PATH_MEMO_MAX_PATH_LENGTH ? Buffer.from(requestPath, 'latin1').toString('latin1') : '';
  const memo = copy === requestPath;
  const rawPath = memo ? copy : requestPath;
  const path = withinPrefix(parseRequestPath(rawPath), site.prefix);
  const fsPath = joinSegments(site.root, path.segments);
  const index = site.settings.index;
  const target: Target = {
    path,
    refused: dotfileStatus(path.segments, site.settings.dotfiles),
    fsPath,
    key: !path.trailingSlash ? fsPath : index !== false ? fsPath + sep + index : null,
  };
  if (!memo) return target;
  // Bounded: a client sending ever new paths only makes the memo start over.
  if (site.targets.size >= PATH_MEMO_MAX_ENTRIES) site.targets.clear();
  site.targets.set(rawPath, target);
  return target;
}

/** Step 4: the path looked up on disk. */
async function fromDisk(site: Site, req: HTTPReq, target: Target): Promise<HTTPRes> {
  const { path, fsPath } = target;
  const found = await locateInRoot(site, fsPath);
  switch (found.kind) {
    case 'file':
      if (path.trailingSlash) {
        // "/file.txt/" names a directory that is not there.
        await found.fh.close();
        return notFound(site, req, path);
      }
      return serveOpened(site, req, fsPath, found.stat, found.fh);
    case 'directory':
      if (!path.trailingSlash) return redirectToDirectory([...site.prefix, ...path.segments], req.query);
      return serveDirectory(site, req, path, found.path, fsPath);
    case 'forbidden':
      throw refusal(403);
    default:
      return notFound(site, req, path);
  }
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
    if (found.kind === 'file') return serveOpened(site, req, key, found.stat, found.fh);
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
  return serveOpened(site, req, key, found.stat, found.fh);
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
