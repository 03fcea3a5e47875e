/**
 * Compressing readers: a BodyReader that reads another one through a
 * node:zlib stream (gzip, deflate, brotli), with backpressure, live flushing
 * for streams, and an owner who always releases both.
 */
import * as zlib from 'node:zlib';
import type { BodyReader } from '../http/types.js';
import { COMPRESSOR_CHUNK_SIZE, DEFAULT_BROTLI_QUALITY, DEFAULT_BROTLI_WINDOW_BITS, DEFAULT_ZLIB_LEVEL } from './limits.js';
import type { Coding } from './negotiate.js';
import type { CompressBodyOptions } from './options.js';

const EMPTY = Buffer.alloc(0);
const noop = (): void => {};

/** Compressors alive in this process: zlib streams of compressBody() and calls of compressBuffer(). */
let active = 0;

/** How many compressors are alive right now (see MAX_ACTIVE_COMPRESSORS); tests expect 0 at rest. */
export function activeCompressors(): number {
  return active;
}

/** The zlib options for a coding: level or quality, window, flush mode. */
function zlibOptions(coding: Coding, options: CompressBodyOptions, length: number): zlib.ZlibOptions | zlib.BrotliOptions {
  const mode = options.flush ?? 'auto';
  const flushEach = mode === 'always' || (mode === 'auto' && length < 0);
  if (coding === 'br') {
    // No BROTLI_PARAM_SIZE_HINT: measured, it only made the encoder pick larger tables.
    const params: Record<number, number> = {
      [zlib.constants.BROTLI_PARAM_QUALITY]: options.brotliQuality ?? DEFAULT_BROTLI_QUALITY,
      [zlib.constants.BROTLI_PARAM_LGWIN]: options.brotliWindowBits ?? DEFAULT_BROTLI_WINDOW_BITS,
    };
    return {
      chunkSize: COMPRESSOR_CHUNK_SIZE,
      flush: flushEach ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.BROTLI_OPERATION_PROCESS,
      params,
    };
  }
  return {
    chunkSize: COMPRESSOR_CHUNK_SIZE,
    level: options.level ?? DEFAULT_ZLIB_LEVEL,
    flush: flushEach ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.Z_NO_FLUSH,
  };
}

/**
 * A zlib stream for a coding. HTTP's "deflate" is the zlib format (RFC 9110
 * §8.4.1.2), which is what createDeflate() writes; raw deflate would be wrong.
 * `length` is the input's length, -1 when unknown.
 */
export function createCompressor(coding: Coding, options: CompressBodyOptions = {}, length = -1): zlib.Gzip | zlib.Deflate | zlib.BrotliCompress {
  const o = zlibOptions(coding, options, length);
  switch (coding) {
    case 'br':
      return zlib.createBrotliCompress(o as zlib.BrotliOptions);
    case 'gzip':
      return zlib.createGzip(o as zlib.ZlibOptions);
    case 'deflate':
      return zlib.createDeflate(o as zlib.ZlibOptions);
  }
}

/**
 * Compresses `inner` as it is read. The returned reader owns `inner` and the
 * zlib stream: its close() destroys the stream at once and closes `inner`
 * exactly once (after a read of `inner` in progress settles, never during
 * it). It also releases both by itself at the end and on the first error,
 * so close() afterwards is harmless and returns the same promise.
 *
 * Pull-driven: `inner` is read only when a read() finds no compressed output
 * waiting and the compressor has taken the previous chunk, so whatever the
 * speed of the consumer, what is held is one input chunk, about one output
 * buffer (COMPRESSOR_CHUNK_SIZE) and the encoder's own state (for brotli up
 * to about twice its window of input, see DEFAULT_BROTLI_WINDOW_BITS); a
 * consumer that stops reading stops the reads of `inner`. A chunk of `inner`
 * is no longer referenced once the next one is asked for, so readers may
 * reuse their buffers. With flushing (see FlushMode), each input chunk's
 * compressed bytes are returned as soon as zlib produces them.
 *
 * The length is always -1: the compressed size is not known in advance.
 * An error of `inner` or of zlib rejects the read() in progress and every
 * later one.
 *
 * @example
 * res.headers['content-encoding'] = 'gzip';
 * res.body = compressBody(bodyFromGenerator(lines()), 'gzip');
 */
export function compressBody(inner: BodyReader, coding: Coding, options: CompressBodyOptions = {}): BodyReader {
  const zs = createCompressor(coding, options, inner.length);
  active++;
  let counted = true;

  let failure: unknown;
  let failed = false;
  let closed = false; // close() was called
  let ended = false; // the compressor's output was read to the end
  let feeding = false; // a read of `inner` or a write into zs is in progress
  let innerDone = false;
  let pendingRead: Promise<Buffer> | undefined;
  let released: Promise<void> | undefined;

  // One waiter at a time (read() is not reentrant); a signal with nobody
  // waiting is kept, so a state change between check and wait is not lost.
  let waiter: (() => void) | undefined;
  let signaled = false;
  const wake = (): void => {
    const w = waiter;
    waiter = undefined;
    if (w) w();
    else signaled = true;
  };
  const changed = (): Promise<void> => {
    if (signaled) {
      signaled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => (waiter = resolve));
  };

  const uncount = (): void => {
    if (counted) {
      counted = false;
      active--;
    }
  };

  /** Destroys the compressor and closes `inner`, once; the promise is close()'s. */
  const release = (): Promise<void> => {
    if (released) return released;
    zs.destroy();
    uncount();
    // Closing `inner` while its read() is in flight could, for a file, close
    // a descriptor a pool thread is reading from; wait for the read first.
    const settled = pendingRead ? pendingRead.then(noop, noop) : Promise.resolve();
    released = settled.then(() => inner.close?.());
    released.catch(noop); // surfaced by close(); must not be an unhandled rejection
    return released;
  };

  const fail = (err: unknown): void => {
    if (released === undefined) {
      failed = true;
      failure = err;
    }
    void release();
    wake();
  };

  zs.on('readable', wake);
  zs.on('end', () => {
    ended = true;
    wake();
  });
  zs.on('error', fail);
  zs.on('close', () => {
    uncount();
    wake();
  });

  /** Moves one chunk from `inner` into the compressor (or ends its input). */
  const feed = async (): Promise<void> => {
    feeding = true;
    try {
      pendingRead = inner.read();
      const chunk = await pendingRead;
      pendingRead = undefined;
      if (released) return;
      if (chunk.length === 0) {
        innerDone = true;
        zs.end();
        return;
      }
      // The callback comes once zlib has taken the whole chunk; the Transform
      // holds it back while its output buffer is full: that is the backpressure.
      await new Promise<void>((resolve, reject) => zs.write(chunk, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      pendingRead = undefined;
      fail(err);
    } finally {
      feeding = false;
      wake();
    }
  };

  return {
    length: -1,
    read: async () => {
      for (;;) {
        if (closed) return EMPTY;
        if (failed) throw failure;
        const out = zs.read() as Buffer | null;
        if (out !== null) return out;
        if (ended) {
          void release();
          return EMPTY;
        }
        if (!feeding && !innerDone) {
          void feed();
          continue; // feed() may have failed synchronously
        }
        await changed();
      }
    },
    close: () => {
      closed = true;
      wake();
      return release();
    },
  };
}

/**
 * Compresses a whole in-memory body in one call (on the thread pool): for
 * bodies that are already in memory and small enough that the first byte
 * does not suffer (ONE_SHOT_MAX_BYTES). Counts as an active compressor while
 * it runs. Never flushes: the result is complete.
 */
export function compressBuffer(data: Buffer, coding: Coding, options: CompressBodyOptions = {}): Promise<Buffer> {
  const o = zlibOptions(coding, { ...options, flush: 'never' }, data.length);
  return new Promise<Buffer>((resolve, reject) => {
    const done = (err: Error | null, out: Buffer): void => {
      active--;
      if (err) reject(err);
      else resolve(out);
    };
    // Invalid options throw here, before the count goes up.
    if (coding === 'br') zlib.brotliCompress(data, o as zlib.BrotliOptions, done);
    else if (coding === 'gzip') zlib.gzip(data, o as zlib.ZlibOptions, done);
    else zlib.deflate(data, o as zlib.ZlibOptions, done);
    active++;
  });
}
