/**
 * Server-Timing (W3C Server Timing): how long the handler took to produce
 * its response, plus any metric a handler records, in a response field that
 * browsers' developer tools show next to the request.
 *
 * The time measured is until the response head is ready, not until its
 * body is sent (the field goes out before the body).
 */
import type { Handler, HTTPReq, HTTPRes } from '../http/types.js';
import type { Wrapper } from './compose.js';
import { addHeaders } from './add-headers.js';

/** Options of serverTiming(). */
export type ServerTimingOptions = {
  /** Name of the handler's own metric. Default "app". */
  name?: string;
};

const METRIC_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const metrics = new WeakMap<HTTPReq, string[]>();

/**
 * Records a metric for the Server-Timing field of `req`'s response (with
 * serverTiming() around the handler; otherwise nothing happens).
 *
 * @example
 * const t = performance.now();
 * const rows = await db.query(sql);
 * recordTiming(req, 'db', performance.now() - t, 'orders');
 */
export function recordTiming(req: HTTPReq, name: string, durationMs: number, description?: string): void {
  const list = metrics.get(req);
  if (list === undefined) return;
  if (!METRIC_NAME.test(name)) throw new TypeError(`recordTiming: a metric name is a token, got ${JSON.stringify(name)}`);
  let entry = `${name};dur=${durationMs.toFixed(1)}`;
  if (description !== undefined) entry += `;desc=${JSON.stringify(description.replace(/[^\x20-\x7e]/g, '?'))}`;
  list.push(entry);
}

/**
 * The Server-Timing wrapper.
 *
 * @example
 * const app = compose(serverTiming())(router); // Server-Timing: app;dur=3.2
 */
export function serverTiming(options: ServerTimingOptions = {}): Wrapper {
  const name = options.name ?? 'app';
  if (!METRIC_NAME.test(name)) throw new TypeError(`serverTiming: a metric name is a token, got ${JSON.stringify(name)}`);
  return (next: Handler): Handler =>
    async (req, body) => {
      const list: string[] = [];
      metrics.set(req, list);
      const started = performance.now();
      const res: HTTPRes = await next(req, body);
      list.push(`${name};dur=${(performance.now() - started).toFixed(1)}`);
      return addHeaders(res, { 'Server-Timing': list.join(', ') });
    };
}
