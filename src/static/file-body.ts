/**
 * BodyReaders for static files (book 9.2-9.4, 10.2): from an open file handle
 * with positional reads into one reused buffer, from bytes already in memory,
 * and a data-less reader for HEAD and 304 that only announces a length.
 */
import type { FileHandle } from 'node:fs/promises';
import type { BodyReader } from '../http/types.js';
import type { BodyPlan } from './multipart.js';

const EMPTY = Buffer.alloc(0);

/**
 * The file changed size while it was being read. The response promised a
 * Content-Length, so it cannot be finished: the connection must be aborted.
 */
export class FileChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileChangedError';
  }
}

/**
 * A body read from `fh` following `plan` (file ranges and literal bytes).
 * The reader owns `fh` from now on and closes it in close(), which its owner
 * calls exactly once, read to the end or not.
 *
 * Buffer reuse: every chunk is a view of one buffer that the next read()
 * overwrites. That is safe because the response writer awaits each write
 * until the bytes are handed to the OS before it calls read() again; a
 * consumer that keeps chunks past the next read() must copy them.
 *
 * Size changes: a read that ends early means the file shrank; a read that
 * returns more than the range's end, where the range ends at the file's size
 * (one extra byte is asked for on the last read), means it grew. Either way
 * read() throws FileChangedError: the promised length cannot be met, and
 * sending old and new bytes mixed would be worse than an aborted download.
 * A change that keeps the size is not detected (files are not hashed).
 */
export function fileBody(fh: FileHandle, plan: BodyPlan, fileSize: number, bufferBytes: number): BodyReader {
  let handle: FileHandle | null = fh;
  const pieces = plan.pieces;
  let largest = 0;
  for (const p of pieces) if (!Buffer.isBuffer(p)) largest = Math.max(largest, p.end - p.start);
  // Room for a whole small range plus the byte that detects growth.
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(bufferBytes, largest + 1)));
  let index = 0;
  let pos = -1; // read position inside pieces[index], when it is a range

  return {
    length: plan.length,
    read: async (): Promise<Buffer> => {
      if (handle === null) throw new Error('read() after close()');
      while (index < pieces.length) {
        const piece = pieces[index]!;
        if (Buffer.isBuffer(piece)) {
          index++;
          return piece;
        }
        if (pos < 0) pos = piece.start;
        const remaining = piece.end - pos;
        if (remaining === 0) {
          index++;
          pos = -1;
          continue;
        }
        const { bytesRead } = await handle.read(buf, 0, readSize(remaining, buf.length, piece.end === fileSize), pos);
        if (bytesRead === 0) throw new FileChangedError('file shrank while being sent');
        if (bytesRead > remaining) throw new FileChangedError('file grew while being sent');
        pos += bytesRead;
        return buf.subarray(0, bytesRead);
      }
      return EMPTY;
    },
    close: async (): Promise<void> => {
      const h = handle;
      handle = null;
      await h?.close();
    },
  };
}

/**
 * How much to ask of the next read. When the range ends at the end of the
 * file, the last read asks for one byte more, which only arrives if the file
 * grew; a remainder of exactly one buffer is split so that such a last read
 * happens at all.
 */
function readSize(remaining: number, bufLength: number, atEof: boolean): number {
  if (remaining < bufLength) return atEof ? remaining + 1 : remaining;
  if (remaining === bufLength && atEof) return remaining - 1;
  return bufLength;
}

/**
 * A body cut from `bytes` (the whole representation, in memory) following
 * `plan`, without copying. A single piece is exposed as `bytes` too, so the
 * writer can send it without a read() round trip.
 */
export function memoryBody(bytes: Buffer, plan: BodyPlan): BodyReader {
  const chunks = plan.pieces.map((p) => (Buffer.isBuffer(p) ? p : bytes.subarray(p.start, p.end)));
  let index = 0;
  const reader: BodyReader = {
    length: plan.length,
    read: async () => {
      while (index < chunks.length) {
        const c = chunks[index++]!;
        if (c.length > 0) return c;
      }
      return EMPTY;
    },
  };
  return chunks.length === 1 ? { ...reader, bytes: chunks[0]! } : reader;
}

/**
 * A body that announces `length` and holds nothing: for HEAD (whose
 * Content-Length must be GET's) and 304. The writer never reads it.
 */
export function lengthOnlyBody(length: number): BodyReader {
  return { length, read: async () => EMPTY };
}

/**
 * Reads all `size` bytes of `fh` into a buffer of its own (not from Node's
 * shared pool, since the cache keeps it). Null when the file is not exactly
 * `size` bytes long any more. Does not close `fh`.
 */
export async function readWholeFile(fh: FileHandle, size: number): Promise<Buffer | null> {
  // One byte more than expected, so that growth shows.
  const buf = Buffer.allocUnsafeSlow(size + 1);
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === size ? buf.subarray(0, size) : null;
}
