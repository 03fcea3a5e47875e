/**
 * HTTPError: a failure that has an HTTP status. Thrown by the parser for bad
 * input and by handlers on purpose; the connection loop turns it into a
 * response with that status.
 */
import type { HTTPReq, HTTPRes, ResponseHeaders } from './types.js';

export type HTTPErrorOptions = {
  /** Extra response headers (Allow for 405, Sec-WebSocket-Version for 426, ...). */
  headers?: ResponseHeaders;
  /**
   * Close the connection after the response. Defaults to true for 4xx/5xx
   * raised by the parser (the byte stream can no longer be trusted) and to
   * false for errors thrown by handlers.
   */
  close?: boolean;
};

export class HTTPError extends Error {
  readonly status: number;
  readonly headers: ResponseHeaders | undefined;
  readonly close: boolean | undefined;

  constructor(status: number, message?: string, options: HTTPErrorOptions = {}) {
    super(message ?? STATUS_TEXT[status] ?? `HTTP ${status}`);
    this.name = 'HTTPError';
    this.status = status;
    this.headers = options.headers;
    this.close = options.close;
  }
}

/**
 * Builds the response for an error: an HTTPError (a client's mistake or a
 * status thrown on purpose) or any other exception (a 500). `req` is null when
 * the request head itself could not be parsed.
 */
export type ErrorFormatter = (err: unknown, req: HTTPReq | null) => HTTPRes;

/** The status an error answers with: its own for an HTTPError, else 500. */
export const errorStatus = (err: unknown): number => (err instanceof HTTPError ? err.status : 500);

/**
 * What layers between a handler and the server attach to an exception on its
 * way up, so that the server's one error response honours them: the
 * formatter of the router the error came through (the innermost wins), and
 * response headers (CORS, a request id: outer layers add, inner ones win).
 * The exception itself travels unchanged, so `onError` still sees it.
 */
type ErrorNotes = { format?: ErrorFormatter; headers?: ResponseHeaders };
const notes = new WeakMap<object, ErrorNotes>();

const notesOf = (err: unknown): ErrorNotes | undefined =>
  (typeof err === 'object' && err !== null) || typeof err === 'function' ? notes.get(err as object) : undefined;

function notesFor(err: unknown): ErrorNotes | undefined {
  if ((typeof err !== 'object' || err === null) && typeof err !== 'function') return undefined; // a thrown primitive carries nothing
  let n = notes.get(err as object);
  if (n === undefined) notes.set(err as object, (n = {}));
  return n;
}

/** Asks for `err` to be answered by `format`, unless a formatter nearer the handler already was. */
export function noteErrorFormatter(err: unknown, format: ErrorFormatter): void {
  const n = notesFor(err);
  if (n !== undefined && n.format === undefined) n.format = format;
}

/** Adds `headers` to the response that will answer `err` (fields already noted are kept). */
export function noteErrorHeaders(err: unknown, headers: ResponseHeaders): void {
  const n = notesFor(err);
  if (n !== undefined) n.headers = { ...headers, ...n.headers };
}

/** The formatter noted on `err`, or undefined. */
export const notedErrorFormatter = (err: unknown): ErrorFormatter | undefined => notesOf(err)?.format;

/** `res` with the headers noted on `err` added (where `res` has no field of that name). */
export function withNotedErrorHeaders(err: unknown, res: HTTPRes): HTTPRes {
  const extra = notesOf(err)?.headers;
  if (extra === undefined) return res;
  const headers: ResponseHeaders = { ...res.headers };
  const have = new Set(Object.keys(headers).map((k) => k.toLowerCase()));
  for (const name in extra) if (!have.has(name.toLowerCase())) headers[name] = extra[name]!;
  return { ...res, headers };
}

/** Reason phrases (RFC 9110 §15). */
export const STATUS_TEXT: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};
