/** The HTTP/1.1 layer: server, request parsing, bodies, responses. */
export { createServer, Server, type ServerOptions, type ServerListenOptions } from './server.js';
export { defaultFormatError, type ResponseInfo } from './connection.js';
export type { BodyReader, HTTPReq, HTTPRes, HTTPVersion, Handler, HeaderValue, ResponseHeaders, UpgradeHandler } from './types.js';
export { FieldList, splitList, isToken, parseWeightedList, mediaRangeQuality, unquote, type Weighted } from './fields.js';
export { HTTPError, STATUS_TEXT, errorStatus, type ErrorFormatter, type HTTPErrorOptions } from './errors.js';
export { STANDARD_METHODS, isStandardMethod } from './methods.js';
export {
  bodyFromBuffer,
  bodyFromGenerator,
  bodyFromReadable,
  emptyBody,
  json,
  readAll,
  DEFAULT_BUFFERED_BODY_LIMIT,
} from './body.js';
export { validateHeader, ResponseError } from './response.js';
export { headerKey, headerText, setHeader, deleteHeader } from './headers.js';
export { formatHttpDate, parseHttpDate, httpDateNow } from './date.js';
export { DEFAULT_LIMITS, DEFAULT_TIMEOUTS, DEFAULT_MAX_CONNECTIONS, type HTTPLimits, type HTTPTimeouts } from './limits.js';
