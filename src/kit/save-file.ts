/**
 * Saving uploaded files without trusting what the client says: the file
 * name it sent is reduced to a plain name (safeFilename), the file is
 * created inside the directory with O_EXCL (an existing file, or a symlink
 * planted there, is never written through: another name is chosen), bytes
 * are written as they arrive with backpressure, and a file that could not
 * be saved whole (the client went away, a limit, a full disk) is removed.
 */
import { constants } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Part } from './multipart.js';

/** Longest name safeFilename() returns (bytes of UTF-8): most filesystems allow 255. */
export const MAX_FILENAME_BYTES = 200;
/** Longest extension kept when a name is cut (UTF-16 units, the dot included); a longer one is cut with the rest. */
const MAX_EXTENSION_LENGTH = 16;
/** Names tried with a numbered suffix before a random one. */
const NUMBERED_TRIES = 100;

const RESERVED_WINDOWS = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\.|$)/i;

/**
 * A client's file name reduced to something safe to create in a directory:
 * the last segment after any "/" or "\", without controls, the characters
 * Windows refuses (`<>:"|?*`), leading dots and spaces, or trailing dots and
 * spaces; a reserved Windows name is prefixed with "_"; cut to
 * MAX_FILENAME_BYTES keeping the extension (when it is one: 16 characters
 * at most, the dot included). Null when nothing is left.
 *
 * @example
 * safeFilename('../../etc/passwd') // 'passwd'
 * safeFilename('C:\\Users\\ann\\cv.pdf') // 'cv.pdf'
 * safeFilename('..') // null
 */
export function safeFilename(name: string): string | null {
  let s = name.normalize('NFC');
  s = s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
  s = s.replace(/[\x00-\x1f\x7f<>:"|?*\u202a-\u202e\u2066-\u2069]/g, '');
  s = s.replace(/^[. ]+/, '').replace(/[. ]+$/, '');
  if (s === '') return null;
  if (RESERVED_WINDOWS.test(s)) s = `_${s}`;
  if (Buffer.byteLength(s) > MAX_FILENAME_BYTES) {
    const found = extname(s);
    const ext = found.length <= MAX_EXTENSION_LENGTH ? found : '';
    s = utf8Prefix(s.slice(0, s.length - ext.length), MAX_FILENAME_BYTES - Buffer.byteLength(ext)) + ext;
  }
  return s;
}

/**
 * The longest prefix of `s` of at most `max` bytes of UTF-8, in whole code
 * points. One pass: the name is the client's, up to the part header limit.
 */
function utf8Prefix(s: string, max: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes > max) break;
    end += ch.length;
  }
  return s.slice(0, end);
}

/** Options of saveFile(). */
export type SaveFileOptions = {
  /** The name to create (made safe too). Default: safeFilename(part.filename), else "upload". */
  name?: string;
  /** File mode. Default 0o644 (less the umask). */
  mode?: number;
};

/** What saveFile() wrote. */
export type SavedFile = {
  /** Where it was written. */
  path: string;
  /** The name it got in the directory (differs from the one asked for when that was taken). */
  name: string;
  /** Bytes written. */
  size: number;
};

/**
 * Writes a part's bytes to a new file in `dir` (which must exist). Never
 * replaces a file: when the name is taken, "name-1.ext", "name-2.ext"...
 * then a random name are tried.
 *
 * @example
 * for await (const part of readMultipart(req, body)) {
 *   if (part.filename !== null) files.push(await saveFile(part, '/srv/uploads'));
 * }
 */
export async function saveFile(part: Part, dir: string, options: SaveFileOptions = {}): Promise<SavedFile> {
  const wanted = safeFilename(options.name ?? part.filename ?? '') ?? 'upload';
  const { fh, path, name } = await createExclusive(resolve(dir), wanted, options.mode ?? 0o644);
  let size = 0;
  let ok = false;
  try {
    for (;;) {
      const chunk = await part.body.read();
      if (chunk.length === 0) break;
      let written = 0;
      while (written < chunk.length) written += (await fh.write(chunk, written)).bytesWritten;
      size += chunk.length;
    }
    ok = true;
  } finally {
    await fh.close();
    if (!ok) await unlink(path).catch(() => {});
  }
  return { path, name, size };
}

const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

async function createExclusive(dir: string, wanted: string, mode: number): Promise<{ fh: FileHandle; path: string; name: string }> {
  const ext = extname(wanted);
  const stem = wanted.slice(0, wanted.length - ext.length);
  for (let n = 0; n <= NUMBERED_TRIES + 1; n++) {
    const name = n === 0 ? wanted : n <= NUMBERED_TRIES ? `${stem}-${n}${ext}` : `${stem}-${randomBytes(8).toString('hex')}${ext}`;
    const path = join(dir, name);
    try {
      return { fh: await open(path, FLAGS, mode), path, name };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`saveFile: no free name for ${wanted} in ${dir}`);
}
