/**
 * Finding what a normalised path names on disk, without leaving the root:
 * symlinks resolved and checked against the root's own real path, the file
 * opened by that checked path and stat()ed through its handle (book 9.2: no
 * race between the stat and the open).
 */
import { constants, fstatSync, openSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { sep } from 'node:path';
import { closeQuietly, type OpenFile } from './open-file.js';
import { HTTPError } from '../http/errors.js';

/** What a path turned out to be. A "file" carries an open handle that the caller now owns. */
export type Located =
  | { readonly kind: 'file'; readonly fh: OpenFile; readonly stat: Stats; readonly path: string }
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'forbidden' }
  /** A symlink leads outside the root (or the root itself moved: the caller may re-resolve it and retry). */
  | { readonly kind: 'outside' };

const MISSING: Located = { kind: 'missing' };
const FORBIDDEN: Located = { kind: 'forbidden' };
const OUTSIDE: Located = { kind: 'outside' };

/**
 * O_NONBLOCK: opening a FIFO someone left in the root must not block a
 * thread-pool thread until a writer appears (it is then refused as not a
 * regular file); regular files ignore the flag. O_NOFOLLOW: the path was
 * just resolved, so a symlink in its last component now means it was swapped
 * in since; refuse it. Both are 0 where the platform lacks them.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const OPEN_RESOLVED_FLAGS = OPEN_FLAGS | (constants.O_NOFOLLOW ?? 0);

/** True when `path` is `root` or lies under it, on a separator boundary ("/srv/www-evil" is not in "/srv/www"). */
export function isInside(path: string, root: string): boolean {
  if (root.endsWith(sep)) return path.startsWith(root);
  return path === root || (path.startsWith(root) && path.startsWith(sep, root.length));
}

/**
 * Looks up `path` (the root joined with normalised segments). Unless
 * `realRoot` is null (symlinks may point anywhere), symlinks are resolved and
 * the target must lie inside `realRoot`, else the answer is "outside".
 * Errors that mean "no such file" give "missing", permission errors
 * "forbidden", running out of descriptors an HTTPError 503; others are thrown.
 */
export async function locate(path: string, realRoot: string | null): Promise<Located> {
  let target = path;
  let flags = OPEN_FLAGS;
  let fh: FileHandle | null = null;
  try {
    if (realRoot !== null) {
      target = await realpath(path);
      if (!isInside(target, realRoot)) return OUTSIDE;
      flags = OPEN_RESOLVED_FLAGS;
    }
    fh = await open(target, flags);
    const st = await fh.stat();
    if (st.isFile()) {
      const found: Located = { kind: 'file', fh, stat: st, path: target };
      fh = null; // the caller owns it now
      return found;
    }
    return st.isDirectory() ? { kind: 'directory', path: target } : MISSING;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') return isDirectory(target);
    return fromError(err);
  } finally {
    await fh?.close();
  }
}

/** Windows refuses to open directories; ask stat instead. */
async function isDirectory(path: string): Promise<Located> {
  try {
    return (await stat(path)).isDirectory() ? { kind: 'directory', path } : MISSING;
  } catch (err) {
    return fromError(err);
  }
}

function fromError(err: unknown): Located {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ELOOP':
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return MISSING;
    case 'EACCES':
    case 'EPERM':
      return FORBIDDEN;
    case 'EMFILE':
    case 'ENFILE':
      throw new HTTPError(503, 'out of file descriptors', { headers: { 'Retry-After': '1' } });
    default:
      throw err;
  }
}

/**
 * The real path of a root directory. Fails (an exception) when the root does
 * not exist or is not a directory: a configuration error, answered with 500.
 */
export async function resolveRoot(root: string): Promise<string> {
  const real = await realpath(root);
  if (!(await stat(real)).isDirectory()) throw new Error(`serveStatic: root ${root} is not a directory`);
  return real;
}

/**
 * locate() for a regular file, on the event loop: what nginx does on every
 * request (open and fstat without a thread), worth it while the filesystem
 * answers from the kernel's caches (the caller asks path-stat.ts whether it
 * does). `realPath` is what the caller found `path` to be inside the root
 * (real-dirs.ts): then the file is opened there with O_NOFOLLOW and must
 * turn out to be exactly that file (isOpenedAs); null when symlinks may lead
 * anywhere. The descriptor is the caller's to close. Null for anything else
 * (missing, a directory, not confirmed, any error): the caller then takes
 * locate(), which answers those cases.
 */
export function openFileNow(path: string, realPath: string | null): { fd: number; stat: Stats } | null {
  let fd = -1;
  try {
    fd = realPath === null ? openSync(path, OPEN_FLAGS) : openSync(realPath, OPEN_RESOLVED_FLAGS);
    if (realPath === null || isOpenedAs(fd, realPath)) {
      const stat = fstatSync(fd);
      if (stat.isFile()) {
        const opened = { fd, stat };
        fd = -1; // the caller owns it now
        return opened;
      }
    }
    return null;
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeQuietly(fd);
  }
}

/**
 * The `size` bytes of the file open as `fd`, read on the event loop into a
 * buffer of its own (the cache keeps it); null when the file is not exactly
 * that long any more, or the read fails. Does not close `fd`.
 */
export function readWholeFileNow(fd: number, size: number): Buffer | null {
  try {
    // One byte more than expected, so that growth shows.
    const buf = Buffer.allocUnsafeSlow(size + 1);
    let got = 0;
    while (got < buf.length) {
      const want = buf.length - got;
      const n = readSync(fd, buf, got, want, got);
      got += n;
      // A regular file reads short only at its end: no second call to learn it.
      if (n < want) break;
    }
    return got === size ? buf.subarray(0, got) : null;
  } catch {
    return null;
  }
}

/** False once /proc/self/fd proved unavailable (not Linux, /proc not mounted). */
let procFdWorks = process.platform === 'linux';

/**
 * True when the open descriptor `fd` is the file at `path` (a real path):
 * what /proc/self/fd says it names (one system call, where resolving the
 * path again costs one per component); elsewhere, that `path` still has no
 * symlink in it, resolved after the open.
 */
function isOpenedAs(fd: number, path: string): boolean {
  if (procFdWorks) {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      procFdWorks = false;
    }
  }
  return realpathSync.native(path) === path;
}
