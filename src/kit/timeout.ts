/**
 * A per-request deadline: a handler that has not produced its response
 * within `ms` is answered 503 (or 504) for it. What the handler returns
 * later is closed unread (its body's `close()` runs: files, generators,
 * compressors are released), and what it throws later is dropped. The
 * handler can stop early through `deadlineSignal(req)`, which aborts at the
 * deadline.
 *
 * When the handler had not read its request body to the end, the answer
 * closes the connection: the body may still be being read by the late
 * handler, and cannot also be drained for the next request.
 *
 * The deadline covers producing the response, not sending its body (the
 * server's `sendTimeout` covers a client that stops reading).
 */
import { HTTPError } from '../http/errors.js';
import type { BodyReader, Handler, HTTPReq, HTTPRes } from '../http/types.js';
import type { Wrapper } from './compose.js';

/** Options of timeout(). */
export type TimeoutOptions = {
  /** 503 (Service Unavailable, the default) or 504 (Gateway Timeout, for a handler waiting on an upstream). */
  status?: 503 | 504;
};

const signals = new WeakMap<HTTPReq, AbortSignal>();

/**
 * The AbortSignal of `req`'s deadline (with timeout() around the handler),
 * or undefined. Pass it to fetch(), database drivers, timers...
 *
 * @example
 * const upstream = await fetch(url, { signal: deadlineSignal(req) });
 */
export const deadlineSignal = (req: HTTPReq): AbortSignal | undefined => signals.get(req);

/**
 * The timeout wrapper.
 *
 * @example
 * const app = compose(timeout(10_000))(router);
 * const proxy = timeout(5_000, { status: 504 })(forward);
 */
export function timeout(ms: number, options: TimeoutOptions = {}): Wrapper {
  if (!(ms > 0) || !Number.isFinite(ms)) throw new TypeError(`timeout: ms must be a positive number, got ${ms}`);
  const status = options.status ?? 503;
  return (next: Handler): Handler =>
    (req, body) => {
      const abort = new AbortController();
      signals.set(req, abort.signal);
      const watched = watchBody(body);
      return new Promise<HTTPRes>((resolve, reject) => {
        let late = false;
        const timer = setTimeout(() => {
          late = true;
          abort.abort(new HTTPError(status, 'the response took too long'));
          reject(new HTTPError(status, 'the response took too long', { close: !watched.finished }));
        }, ms);
        const settle = (res: HTTPRes): void => {
          if (!late) {
            clearTimeout(timer);
            resolve(res);
          } else {
            // Nobody will write it: release what its body holds.
            Promise.resolve(res.body?.close?.()).catch(() => {});
          }
        };
        const fail = (err: unknown): void => {
          if (late) return;
          clearTimeout(timer);
          reject(err);
        };
        try {
          const r = next(req, watched.body);
          if (r instanceof Promise) r.then(settle, fail);
          else settle(r);
        } catch (err) {
          fail(err);
        }
      });
    };
}

/** The request body, with a note of whether it was read to the end. */
function watchBody(body: BodyReader): { body: BodyReader; readonly finished: boolean } {
  let finished = body.length === 0;
  const watched: BodyReader = {
    length: body.length,
    read: async () => {
      const chunk = await body.read();
      if (chunk.length === 0) finished = true;
      return chunk;
    },
  };
  return {
    body: watched,
    get finished() {
      return finished;
    },
  };
}
