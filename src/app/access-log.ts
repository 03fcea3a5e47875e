/**
 * The access log: one line per response, in Combined Log Format (plus the
 * duration, and `aborted` for a response cut off half-way) or as JSON. Lines are batched and written once per event-loop
 * turn; while the destination is slow, lines wait in a bounded buffer and,
 * past it, are dropped and counted — logging never blocks or bloats the server.
 */
import type { Writable } from 'node:stream';
import type { ResponseInfo } from '../http/connection.js';

/**
 * A log line format: `combined` (Combined Log Format plus the duration in
 * ms), `json` (one object per line), or a function of the response info that
 * returns a whole line (with its "\n").
 */
export type LogFormat = 'combined' | 'json' | ((info: ResponseInfo) => string);

/** Log bytes held while the destination is not draining; more are dropped (bytes). */
export const DEFAULT_LOG_BUFFER = 1024 * 1024;

/** Made by accessLog(). */
export type AccessLog = {
  /** Records one response (pass as the server's onResponse). */
  record(info: ResponseInfo): void;
  /** Lines dropped because the destination could not keep up. */
  readonly dropped: number;
  /** Writes out what is buffered. */
  flush(): void;
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** CLF time: 10/Oct/2000:13:55:36 +0000 (always UTC), cached per second. */
let clfSecond = -1;
let clfTime = '';
function clfNow(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== clfSecond) {
    const d = new Date(s * 1000);
    clfSecond = s;
    clfTime = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
  }
  return clfTime;
}

/** Quotes a request field for CLF: no raw quotes, backslashes or controls. */
const clfQuote = (s: string) => s.replace(/["\\\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/**
 * One line of Combined Log Format, plus the duration in ms (and `aborted`).
 *
 * @example 127.0.0.1 - - [10/Oct/2026:13:55:36 +0000] "GET /a.png HTTP/1.1" 200 2326 "-" "curl/8.5.0" 0.412
 */
export function formatCombined(info: ResponseInfo): string {
  const { req } = info;
  const referer = req.headers.get('referer');
  const agent = req.headers.get('user-agent');
  return (
    `${req.remoteAddress || '-'} - - [${clfNow()}] "${clfQuote(`${req.method} ${req.target} HTTP/${req.version}`)}" ` +
    `${info.code} ${info.bytes} "${referer === undefined ? '-' : clfQuote(referer)}" ` +
    `"${agent === undefined ? '-' : clfQuote(agent)}" ${info.durationMs.toFixed(3)}${info.aborted ? ' aborted' : ''}\n`
  );
}

/**
 * One JSON line: time, remote, method, path, query, status, bytes,
 * duration_ms, user_agent, referer, aborted.
 *
 * @example {"time":"2026-10-10T13:55:36.000Z","remote":"127.0.0.1","method":"GET","path":"/","status":200,"bytes":13,"duration_ms":0.2}
 */
export function formatJson(info: ResponseInfo): string {
  const { req } = info;
  return (
    JSON.stringify({
      time: new Date().toISOString(),
      remote: req.remoteAddress,
      method: req.method,
      path: req.path,
      query: req.query || undefined,
      status: info.code,
      bytes: info.bytes,
      duration_ms: Math.round(info.durationMs * 1000) / 1000,
      user_agent: req.headers.get('user-agent'),
      referer: req.headers.get('referer'),
      aborted: info.aborted || undefined,
    }) + '\n'
  );
}

/**
 * An access log writing to `out` (stdout by default): pass its `record` as
 * the server's `onResponse`. The built-in formats escape request fields
 * that could forge a line (quotes, controls) and never write the
 * Authorization or Cookie fields.
 *
 * @example
 * const log = accessLog('json', createWriteStream('access.log', { flags: 'a' }));
 * createServer(app, { onResponse: log.record });
 * // with request IDs (requestId() around the app):
 * accessLog((info) => `${requestIdOf(info.req)} ${info.code} ${info.req.method} ${info.req.target}\n`);
 */
export function accessLog(format: LogFormat, out: Writable = process.stdout, maxBuffer = DEFAULT_LOG_BUFFER): AccessLog {
  const fmt = typeof format === 'function' ? format : format === 'json' ? formatJson : formatCombined;
  let pending = '';
  let scheduled = false;
  let blocked = false;
  let dropped = 0;

  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0 || blocked) return;
    const text = pending;
    pending = '';
    if (!out.write(text)) {
      blocked = true;
      out.once('drain', () => {
        blocked = false;
        flush();
      });
    }
  };

  return {
    record(info) {
      const line = fmt(info);
      if (pending.length + line.length > maxBuffer) {
        dropped++;
        return;
      }
      pending += line;
      if (!scheduled && !blocked) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    get dropped() {
      return dropped;
    },
    flush,
  };
}
