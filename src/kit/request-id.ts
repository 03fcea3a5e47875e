/**
 * Request IDs: every request gets an identifier, sent back in a response
 * field (`X-Request-Id` by default, error responses included) and readable
 * by handlers and log formatters through `requestIdOf(req)`, so one line of
 * a log, one error report and one user's complaint can be matched up.
 *
 * An ID the client sent is used only with `trust: true` (behind a proxy that
 * sets it), and only when it is short and made of safe characters.
 */
import { randomUUID } from 'node:crypto';
import type { Handler, HTTPReq } from '../http/types.js';
import type { Wrapper } from './compose.js';
import { answerWithHeaders } from './add-headers.js';

/** Options of requestId(). */
export type RequestIdOptions = {
  /** The request and response field. Default "X-Request-Id". */
  header?: string;
  /** Use the ID a request carries (set by a proxy in front). Default false: always a new one. */
  trust?: boolean;
  /** Makes a new ID. Default crypto.randomUUID(). */
  generate?: (req: HTTPReq) => string;
};

/** Longest ID taken from a request (characters). */
export const MAX_REQUEST_ID_LENGTH = 128;
const SAFE_ID = /^[A-Za-z0-9._:@+=\/-]+$/;

const ids = new WeakMap<HTTPReq, string>();

/**
 * The ID given to `req` by the requestId() wrapper, or undefined.
 *
 * @example
 * accessLog('json') // ...or a custom line: `${requestIdOf(info.req)} ${info.code}`
 */
export const requestIdOf = (req: HTTPReq): string | undefined => ids.get(req);

/**
 * The request-ID wrapper.
 *
 * @example
 * const app = compose(requestId({ trust: true }))(router);
 * // in a handler: log.info({ id: requestIdOf(req) }, 'charging card');
 */
export function requestId(options: RequestIdOptions = {}): Wrapper {
  const header = options.header ?? 'X-Request-Id';
  const trust = options.trust ?? false;
  const generate = options.generate ?? (() => randomUUID());
  return (next: Handler): Handler =>
    (req, body) => {
      let id = trust ? req.headers.get(header) : undefined;
      if (id === undefined || id.length > MAX_REQUEST_ID_LENGTH || !SAFE_ID.test(id)) id = generate(req);
      ids.set(req, id);
      return answerWithHeaders(next, req, body, { [header]: id });
    };
}
