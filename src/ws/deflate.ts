/**
 * The zlib side of permessage-deflate (RFC 7692 §7.2): one compressor and one
 * decompressor per connection, created on first use and owned by the
 * connection, which closes them when it ends.
 *
 * - Every zlib job runs holding a permit of a shared semaphore (like `ws`'s
 *   limiter.js): zlib work happens on the libuv thread pool, and thousands of
 *   connections inflating at once would exhaust memory and starve file I/O.
 * - Inflating hands each output chunk to a sink as zlib produces it. A sink
 *   that throws (the size limit passed) stops the job at once: the stream is
 *   closed, so a zip bomb costs at most one zlib chunk past the limit. A sink
 *   that returns a promise pauses the stream (Node's zlib then stops
 *   inflating) and gives up the permit until the application catches up.
 * - `liveZlibStreams()` counts the zlib streams created and not yet closed, so
 *   tests can prove none leak.
 */
import * as zlib from 'node:zlib';
import { createSemaphore, type Semaphore } from '../sync/semaphore.js';
import { DEFAULT_ZLIB_CONCURRENCY, DEFLATE_TRAILER } from './constants.js';
import { invalidPayload, WSError, wsClosed } from './errors.js';

let live = 0;

/** zlib streams opened by permessage-deflate and not closed yet (all connections). */
export function liveZlibStreams(): number {
  return live;
}

let sharedLimiter: Semaphore | null = null;

/** The process-wide zlib limiter (DEFAULT_ZLIB_CONCURRENCY permits), used unless another is given. */
export function defaultZlibLimiter(): Semaphore {
  return (sharedLimiter ??= createSemaphore(DEFAULT_ZLIB_CONCURRENCY));
}

const noop = (): void => {};

/** Closes a zlib stream and stops counting it. */
function closeStream(z: zlib.DeflateRaw | zlib.InflateRaw): void {
  live--;
  z.close();
}

/** Compresses whole messages for one connection. */
export class MessageDeflater {
  private z: zlib.DeflateRaw | null = null;
  private closed = false;
  /** The job in progress, so that close() can end it. */
  private abortJob: ((err: Error) => void) | null = null;

  constructor(
    private readonly windowBits: number,
    private readonly noContextTakeover: boolean,
    private readonly limiter: Semaphore,
    private readonly level: number | undefined,
    private readonly memLevel: number | undefined,
  ) {}

  private stream(): zlib.DeflateRaw {
    if (this.z === null) {
      // windowBits 8 is run as 9 by Node (see permessage-deflate.ts).
      this.z = zlib.createDeflateRaw({
        windowBits: Math.max(9, this.windowBits),
        level: this.level ?? zlib.constants.Z_DEFAULT_COMPRESSION,
        memLevel: this.memLevel ?? 8,
      });
      this.z.on('error', noop); // reported through the job that caused it
      live++;
    }
    return this.z;
  }

  /** The compressed payload of one message, without the trailing 00 00 ff ff. */
  async compress(data: Uint8Array): Promise<Buffer> {
    if (!this.limiter.tryAcquire()) await this.limiter.acquire();
    try {
      if (this.closed) throw wsClosed();
      const z = this.stream();
      const out = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let total = 0;
        const onData = (c: Buffer): void => {
          chunks.push(c);
          total += c.length;
        };
        const finish = (err: Error | null): void => {
          this.abortJob = null;
          z.off('data', onData);
          z.off('error', finish);
          if (err !== null) {
            // The stream's state is unknown now: never reuse it.
            if (this.z === z) {
              closeStream(z);
              this.z = null;
            }
            reject(err);
          } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
        };
        // close() ends the job: a closed stream never calls the flush callback.
        this.abortJob = finish;
        z.on('data', onData);
        z.once('error', finish);
        z.write(data);
        z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          if (this.abortJob === finish) finish(null);
        });
      });
      if (this.noContextTakeover) z.reset();
      return endsWithTrailer(out) ? out.subarray(0, out.length - 4) : out;
    } finally {
      this.limiter.release();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abortJob?.(wsClosed());
    if (this.z !== null) closeStream(this.z);
    this.z = null;
  }
}

/**
 * Takes an inflated chunk: returns nothing to continue, a promise to pause
 * until it resolves, or throws to stop (the error becomes the job's).
 */
export type InflateSink = (chunk: Buffer) => void | Promise<void>;

/** Decompresses incoming messages for one connection. */
export class MessageInflater {
  private z: zlib.InflateRaw | null = null;
  private closed = false;
  /** The job in progress, so that close() can end it. */
  private abortJob: ((err: Error) => void) | null = null;

  constructor(
    private readonly windowBits: number,
    private readonly noContextTakeover: boolean,
    private readonly limiter: Semaphore,
  ) {}

  private stream(): zlib.InflateRaw {
    if (this.z === null) {
      this.z = zlib.createInflateRaw({ windowBits: Math.max(9, this.windowBits) });
      this.z.on('error', noop); // reported through the job that caused it
      live++;
    }
    return this.z;
  }

  /**
   * Inflates one piece of a compressed message (`last`: it ends the message,
   * so the sync-flush trailer is appended). Resolves once every byte it
   * produced has been handed to `sink`.
   */
  async inflate(piece: Buffer, last: boolean, sink: InflateSink): Promise<void> {
    if (!this.limiter.tryAcquire()) await this.limiter.acquire();
    const permit = { held: true };
    try {
      if (this.closed) throw wsClosed();
      await this.run(this.stream(), piece, last, sink, permit);
      if (last && this.noContextTakeover && this.z !== null) this.z.reset();
    } finally {
      if (permit.held) this.limiter.release();
    }
  }

  private run(z: zlib.InflateRaw, piece: Buffer, last: boolean, sink: InflateSink, permit: { held: boolean }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let flushed = false;
      let paused = false;
      let settled = false;
      const cleanup = (): void => {
        settled = true;
        this.abortJob = null;
        z.off('data', onData);
        z.off('error', onError);
      };
      const fail = (err: Error): void => {
        if (settled) return;
        cleanup();
        // The stream's state is unknown now: never reuse it.
        if (this.z === z) {
          closeStream(z);
          this.z = null;
        }
        reject(err);
      };
      const maybeDone = (): void => {
        if (!settled && flushed && !paused && z.readableLength === 0) {
          cleanup();
          resolve();
        }
      };
      const onData = (chunk: Buffer): void => {
        if (settled) return;
        let wait: void | Promise<void>;
        try {
          wait = sink(chunk);
        } catch (err) {
          fail(err as Error);
          return;
        }
        if (wait !== undefined) {
          // The application is behind: stop inflating and let other
          // connections use the permit meanwhile.
          paused = true;
          z.pause();
          permit.held = false;
          this.limiter.release();
          wait
            .then(() => this.limiter.acquire())
            .then(
              () => {
                if (settled) {
                  // The job ended while we waited; inflate() has returned.
                  this.limiter.release();
                  return;
                }
                permit.held = true;
                paused = false;
                z.resume();
                maybeDone();
              },
              (err: Error) => fail(err),
            );
          return;
        }
        maybeDone();
      };
      const onError = (err: Error): void => {
        // Corrupt compressed data is invalid payload (RFC 7692 §8 → 1007).
        fail(err instanceof WSError ? err : invalidPayload(`invalid compressed data: ${err.message}`));
      };
      this.abortJob = fail;
      z.on('data', onData);
      z.on('error', onError);
      z.write(piece);
      if (last) z.write(DEFLATE_TRAILER);
      z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        flushed = true;
        maybeDone();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abortJob?.(wsClosed());
    if (this.z !== null) closeStream(this.z);
    this.z = null;
  }
}

function endsWithTrailer(b: Buffer): boolean {
  const n = b.length;
  return n >= 4 && b[n - 4] === 0x00 && b[n - 3] === 0x00 && b[n - 2] === 0xff && b[n - 1] === 0xff;
}
