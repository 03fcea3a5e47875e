/**
 * BodyReaders for static files (book 9.2-9.4, 10.2): from an open file handle
 * with positional reads into two reused buffers, from bytes already in memory,
 * and a data-less reader for HEAD and 304 that only announces a length.
 */
import type { OpenFile } from './open-file.js';
import type { BodyReader } from '../http/types.js';
import { giveBuffer, takeBuffer } from './buffer-pool.js';
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
 * Buffers: two, used in turn. While the writer sends the chunk in one, the
 * next chunk is read ahead into the other, so disk and network overlap as
 * they do with a stream's read-ahead. A chunk stays valid until the next
 * call of read() (which refills its buffer ahead) or close() (which returns
 * the buffers to the pool): the response writer awaits each write until the
 * bytes are handed to the OS before it calls read() again, so a buffer is
 * never refilled while still being sent. A consumer that keeps chunks
 * longer must copy them.
 *
 * Size changes: a read that ends early means the file shrank; a read that
 * returns more than the range's end, where the range ends at the file's size
 * (one extra byte is asked for on the last read), means it grew. Either way
 * read() throws FileChangedError: the promised length cannot be met, and
 * sending old and new bytes mixed would be worse than an aborted download.
 * A change that keeps the size is not detected (files are not hashed).
 */
export function fileBody(fh: OpenFile, plan: BodyPlan, fileSize: number, bufferBytes: number): BodyReader {
  let handle: OpenFile | null = fh;
  const pieces = plan.pieces;
  let largest = 0;
  for (const p of pieces) if (!Buffer.isBuffer(p)) largest = Math.max(largest, p.end - p.start);
  // Chunks of up to `chunkBytes`, plus room for the byte that detects growth.
  const chunkBytes = Math.max(1, Math.min(bufferBytes, largest));
  const bufLength = chunkBytes + 1;
  const buffers: (Buffer | null)[] = [null, null]; // allocated on first use: a small file needs one
  // Full-size buffers come from the pool; smaller ones fit one file and are left to the GC.
  const pooled = chunkBytes === bufferBytes;
  let reading = false;
  let turn = 0;
  let index = 0; // current piece
  let pos = -1; // read position inside pieces[index], when it is a range
  let ahead: Promise<Buffer> | null = null; // the next chunk, being read ahead

  /** Produces the next chunk into buffers[which]. Calls never overlap: each starts after the previous one settled. */
  const produce = async (h: OpenFile, which: number): Promise<Buffer> => {
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
      const buf = (buffers[which] ??= pooled ? takeBuffer(bufLength) : Buffer.allocUnsafe(bufLength));
      const { bytesRead } = await h.read(buf, 0, readSize(remaining, chunkBytes, piece.end === fileSize), pos);
      if (bytesRead === 0) throw new FileChangedError('file shrank while being sent');
      if (bytesRead > remaining) throw new FileChangedError('file grew while being sent');
      pos += bytesRead;
      if (pos === piece.end) {
        index++;
        pos = -1;
      }
      return buf.subarray(0, bytesRead);
    }
    return EMPTY;
  };

  return {
    length: plan.length,
    read: async (): Promise<Buffer> => {
      const h = handle;
      if (h === null) throw new Error('read() after close()');
      reading = true;
      let chunk: Buffer;
      try {
        chunk = await (ahead ?? produce(h, turn));
      } finally {
        reading = false;
      }
      turn ^= 1;
      ahead = null;
      if (index < pieces.length && handle !== null) {
        // Read ahead into the other buffer; a failure surfaces at the next read().
        ahead = produce(handle, turn);
        ahead.catch(() => undefined);
      }
      return chunk;
    },
    close: async (): Promise<void> => {
      const h = handle;
      handle = null;
      if (h === null) return;
      // OpenFile.close() waits for a read ahead still in flight.
      await h.close();
      // The writer is done with every chunk by now. A read() still pending
      // (close() called during it, against the contract) keeps its buffers.
      if (pooled && !reading) {
        for (const b of buffers) if (b !== null) giveBuffer(b);
      }
      buffers[0] = buffers[1] = null;
    },
  };
}

/**
 * How much to ask of the next read: a chunk, or what is left of the range.
 * When the range ends at the end of the file, the last read asks for one
 * byte more (buffers have room for it), which only arrives if the file grew.
 */
function readSize(remaining: number, chunk: number, atEof: boolean): number {
  if (remaining > chunk) return chunk;
  return atEof ? remaining + 1 : remaining;
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
export async function readWholeFile(fh: OpenFile, size: number): Promise<Buffer | null> {
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
