/**
 * Server-sent events (HTML Living Standard, "Server-sent events"): a
 * response whose body is a stream of events, read by the browser's
 * EventSource, which reconnects by itself and then sends the last event ID
 * it saw (`lastEventId(req)`).
 *
 * - Events come from an async iterable, pulled one at a time (backpressure:
 *   the next event is asked for once the previous one was written).
 * - A comment line goes out after `heartbeatMs` without an event, so that
 *   proxies and the client see a live connection, and a vanished client is
 *   noticed by the failing write.
 * - The response body owns the iterable: when the stream ends or the client
 *   goes away, the iterator's `return()` runs (a generator's `finally`), and
 *   the AbortSignal given to a source function is aborted, so a generator
 *   waiting on a timer or a queue wakes up and ends.
 */
import type { BodyReader, HTTPReq, HTTPRes } from '../http/types.js';

/** One event. `data` may hold line breaks (sent as several data lines). */
export type ServerSentEvent = {
  /** The message (EventSource `event.data`). */
  data?: string;
  /** The event type (EventSource `addEventListener(type, ...)`); default "message". */
  event?: string;
  /** Remembered by the client and sent back as Last-Event-ID when it reconnects. */
  id?: string;
  /** How long the client waits before reconnecting (ms). */
  retry?: number;
  /** A comment: ignored by the client. */
  comment?: string;
};

/** Where events come from: an async iterable, or a function of an AbortSignal (aborted when the client goes away) that returns one. */
export type EventStreamSource = AsyncIterable<ServerSentEvent | string> | ((signal: AbortSignal) => AsyncIterable<ServerSentEvent | string>);

/** Options of eventStream(). */
export type EventStreamOptions = {
  /** A comment after this long without an event (ms); 0: never. Default 15 s. */
  heartbeatMs?: number;
  /** Sent first: the client's reconnection delay (ms). */
  retry?: number;
  /** Extra response header fields. */
  headers?: Record<string, string>;
  /**
   * Compress the stream (per event, when the client accepts it). Default
   * false: a compressor per open stream costs hundreds of KiB, and streams
   * stay open for hours.
   */
  compress?: boolean;
};

/** Quiet time before a heartbeat comment by default (ms): below the usual 30-60 s proxy idle timeouts. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

const EMPTY = Buffer.alloc(0);
const HEARTBEAT = Buffer.from(':\n\n');
const LINE_BREAK = /\r\n|\r|\n/;

/** The Last-Event-ID a reconnecting EventSource sent, or undefined. */
export const lastEventId = (req: HTTPReq): string | undefined => req.headers.get('last-event-id');

/**
 * One event in the wire format. Throws a TypeError for an `event` or `id`
 * with a line break (it would end the field early), an id with NUL, or a
 * `retry` that is not a whole number of ms.
 *
 * @example formatEvent({ event: 'tick', id: '7', data: 'a\nb' }) // 'event: tick\nid: 7\ndata: a\ndata: b\n\n'
 */
export function formatEvent(e: ServerSentEvent | string): string {
  if (typeof e === 'string') return dataLines(e) + '\n';
  let out = '';
  if (e.comment !== undefined) for (const line of e.comment.split(LINE_BREAK)) out += `: ${line}\n`;
  if (e.event !== undefined) {
    if (LINE_BREAK.test(e.event)) throw new TypeError('server-sent event: a type cannot hold a line break');
    out += `event: ${e.event}\n`;
  }
  if (e.id !== undefined) {
    if (LINE_BREAK.test(e.id) || e.id.includes('\0')) throw new TypeError('server-sent event: an id cannot hold a line break or NUL');
    out += `id: ${e.id}\n`;
  }
  if (e.retry !== undefined) {
    if (!Number.isInteger(e.retry) || e.retry < 0) throw new TypeError('server-sent event: retry is a whole number of ms');
    out += `retry: ${e.retry}\n`;
  }
  if (e.data !== undefined) out += dataLines(e.data);
  return out + '\n';
}

function dataLines(data: string): string {
  let out = '';
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return out;
}

/**
 * A 200 response streaming `source`'s events. Give a function of an
 * AbortSignal to learn when the client is gone.
 *
 * @example
 * app.get('/clock', (req) =>
 *   eventStream(async function* (signal) {
 *     let id = Number(lastEventId(req) ?? 0);
 *     for (;;) {
 *       yield { id: String(++id), data: new Date().toISOString() };
 *       await sleep(1000, undefined, { signal });
 *     }
 *   }),
 * );
 */
export function eventStream(source: EventStreamSource, options: EventStreamOptions = {}): HTTPRes {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  return {
    code: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store', ...options.headers },
    body: eventBody(source, heartbeatMs, options.retry),
    compress: options.compress ?? false,
  };
}

type Outcome = { result: IteratorResult<ServerSentEvent | string> } | { error: unknown };

function eventBody(source: EventStreamSource, heartbeatMs: number, retry: number | undefined): BodyReader {
  const abort = new AbortController();
  const it = (typeof source === 'function' ? source(abort.signal) : source)[Symbol.asyncIterator]();
  // Sent at once, so the response head goes out and EventSource opens without waiting for an event.
  let opening: Buffer | null = Buffer.from(retry === undefined ? ':\n\n' : formatEvent({ retry }));
  let asked = false;
  let outcome: Outcome | null = null;
  let wake: (() => void) | null = null;
  let done = false;

  // One reaction per event asked for; the wait below is a new promise per read,
  // so no promise that may stay pending for hours collects reactions.
  const ask = (): void => {
    asked = true;
    it.next().then(
      (result) => settle({ result }),
      (error: unknown) => settle({ error }),
    );
  };
  const settle = (o: Outcome): void => {
    outcome = o;
    wake?.();
  };

  return {
    length: -1,
    read: async () => {
      if (done) return EMPTY;
      if (opening !== null) {
        const first = opening;
        opening = null;
        return first;
      }
      if (!asked) ask();
      if (outcome === null) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (heartbeatMs > 0) timer = setTimeout(resolve, heartbeatMs);
        });
        wake = null;
        clearTimeout(timer);
        if (outcome === null) return HEARTBEAT;
      }
      const o: Outcome = outcome;
      outcome = null;
      asked = false;
      if ('error' in o) throw o.error;
      if (o.result.done) {
        done = true;
        return EMPTY;
      }
      return Buffer.from(formatEvent(o.result.value));
    },
    close: async () => {
      done = true;
      abort.abort();
      wake?.();
      // A generator still running its next() gets return() after it: don't wait for that here.
      if (asked) void Promise.resolve(it.return?.()).catch(() => {});
      else await it.return?.();
    },
  };
}
