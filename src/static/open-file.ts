/**
 * An open file as the static layer reads it: positional reads, its stat,
 * one close. A FileHandle is one, each call a round trip through the thread
 * pool. fileOnLoop() is another, for a descriptor opened on the event loop
 * while the filesystem is fast (path-stat.ts): its calls are synchronous
 * while they stay fast, as nginx's are, and its reads go through the pool
 * once they prove slow, or when one would be long (SYNC_READ_CALL_MAX_BYTES).
 * Measured on a 1 MiB file with the cache off: the pool's round trips
 * (realpath, open, fstat, four reads, close) cost 27 context switches per
 * request.
 */
import { close, closeSync, fstatSync, read, readSync, type Stats } from 'node:fs';
import { SYNC_READ_CALL_MAX_BYTES } from './options.js';
import { countSyncCall, type PathStatter } from './path-stat.js';

export type OpenFile = {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<Stats>;
  /** Releases the file; after a read still in flight, like FileHandle.close(). Once. */
  close(): Promise<void>;
};

/** `fd` (taken: its close() closes it) read on the event loop while `stats` says the filesystem is fast. */
export function fileOnLoop(fd: number, stats: PathStatter): OpenFile {
  let open = true;
  // A read through the pool still running: the descriptor is closed after it,
  // never under it (its number could be reused by the next open meanwhile).
  let inFlight: Promise<unknown> | null = null;
  return {
    read: (buffer, offset, length, position) => {
      if (!open) return Promise.reject(new Error('read() after close()'));
      if (!stats.sync || length > SYNC_READ_CALL_MAX_BYTES) {
        const p = new Promise<{ bytesRead: number }>((resolve, reject) => {
          read(fd, buffer, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve({ bytesRead })));
        });
        inFlight = p.catch(() => undefined);
        return p;
      }
      const started = performance.now();
      try {
        return Promise.resolve({ bytesRead: readSync(fd, buffer, offset, length, position) });
      } catch (err) {
        return Promise.reject(err);
      } finally {
        countSyncCall(stats, started);
      }
    },
    stat: () => {
      if (!open) return Promise.reject(new Error('stat() after close()'));
      try {
        return Promise.resolve(fstatSync(fd));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    close: async () => {
      if (!open) return;
      open = false;
      if (inFlight !== null) {
        await inFlight;
        await new Promise<void>((resolve) => close(fd, () => resolve()));
        return;
      }
      closeQuietly(fd);
    },
  };
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing to do: the descriptor is released either way (close(2) on Linux).
  }
}
