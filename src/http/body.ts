/**
 * BodyReaders from the things applications have at hand (book 8.2-8.3): a
 * Buffer or string, an async generator, a Node Readable; and readAll() to
 * buffer a request body under a limit (the kit's readJSON, readForm and
 * readMultipart read typed bodies).
 */
import type { Readable } from 'node:stream';
import { HTTPError } from './errors.js';
import type { BodyReader, HTTPRes, ResponseHeaders } from './types.js';

/** Default limit for readAll(): buffered request bodies (bytes). */
export const DEFAULT_BUFFERED_BODY_LIMIT = 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** A body that is already in memory. */
export function bodyFromBuffer(data: Buffer | string): BodyReader {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let done = bytes.length === 0;
  return {
    length: bytes.length,
    bytes,
    read: async () => {
      if (done) return EMPTY;
      done = true;
      return bytes;
    },
  };
}

/**
 * A JSON response: the value serialised, `application/json; charset=utf-8`.
 * @example return json({ id: 7 }, 201);
 */
export function json(value: unknown, code = 200, headers: ResponseHeaders = {}): HTTPRes {
  return {
    code,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: bodyFromBuffer(JSON.stringify(value)),
  };
}

/** The empty body. */
export const emptyBody = (): BodyReader => bodyFromBuffer(EMPTY);

/**
 * A body produced by an async generator, sent chunked. The reader owns the
 * generator: close() calls generator.return(), so the generator's `finally`
 * runs even when the client goes away mid-stream (book 9.3).
 */
export function bodyFromGenerator(gen: AsyncGenerator<Buffer | string, unknown, unknown>): BodyReader {
  let closed = false;
  return {
    length: -1,
    read: async () => {
      for (;;) {
        if (closed) return EMPTY;
        const r = await gen.next();
        if (r.done) return EMPTY;
        const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        if (chunk.length > 0) return chunk; // an empty chunk would read as the end
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await gen.return(undefined);
    },
  };
}

/**
 * A body read from a Node Readable (a file stream, a zlib stream, ...),
 * pulled with backpressure. The reader owns the stream and destroys it on close.
 * Pass `length` when it is known, so the response gets a Content-Length.
 */
export function bodyFromReadable(stream: Readable, length = -1): BodyReader {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let done = false;
  return {
    length,
    read: async () => {
      while (!done) {
        const r = await it.next();
        if (r.done) {
          done = true;
          break;
        }
        const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        if (chunk.length > 0) return chunk;
      }
      return EMPTY;
    },
    close: () => {
      done = true;
      stream.destroy();
    },
  };
}

/**
 * Reads a whole body into memory. More than `limit` bytes is an HTTPError
 * 413; a declared length over the limit fails before anything is read.
 */
export async function readAll(body: BodyReader, limit = DEFAULT_BUFFERED_BODY_LIMIT): Promise<Buffer> {
  if (body.length > limit) throw new HTTPError(413);
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = await body.read();
    if (chunk.length === 0) break;
    total += chunk.length;
    if (total > limit) throw new HTTPError(413);
    parts.push(chunk);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}
