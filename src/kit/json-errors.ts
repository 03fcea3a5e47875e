/**
 * Error responses as JSON: `{"error": {"status": 404, "message": "no todo 7"}}`
 * for clients that accept JSON, the server's short text otherwise. Pass it
 * as `formatError` to createServer() or to a router.
 *
 * As with the default text, the message of a 5xx is never shown (it may
 * hold the application's secrets): a 500 says "Internal Server Error".
 * An HTTPError's headers (Allow, WWW-Authenticate, Retry-After...) are kept.
 */
import { defaultFormatError } from '../http/connection.js';
import { HTTPError, STATUS_TEXT, errorStatus, type ErrorFormatter } from '../http/errors.js';
import { mediaRangeQuality, parseWeightedList } from '../http/fields.js';
import type { HTTPReq } from '../http/types.js';
import { json } from '../http/body.js';

/**
 * True when JSON suits the client at least as well as plain text: no
 * Accept (or an empty one, or no request), or an Accept giving application/json a quality
 * above 0 and no lower than text/plain's.
 */
export function acceptsJson(req: HTTPReq | null): boolean {
  const accept = req?.headers.get('accept');
  if (accept === undefined || accept.trim() === '') return true;
  const list = parseWeightedList(accept);
  const q = mediaRangeQuality(list, 'application/json');
  return q > 0 && q >= mediaRangeQuality(list, 'text/plain');
}

/**
 * The JSON error formatter.
 *
 * @example
 * createServer(app, { formatError: jsonErrors });
 * router({ formatError: jsonErrors }).get('/api/todos/:id', ...);
 */
export const jsonErrors: ErrorFormatter = (err, req) => {
  if (!acceptsJson(req)) return defaultFormatError(err, req);
  const status = errorStatus(err);
  const message = err instanceof HTTPError && status < 500 ? err.message : (STATUS_TEXT[status] ?? 'Error');
  return json({ error: { status, message } }, status, err instanceof HTTPError ? { ...err.headers } : {});
};
