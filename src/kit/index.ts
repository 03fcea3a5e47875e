/**
 * The kit: what most applications reach for in their first hour, as plain
 * functions over HTTPReq, HTTPRes and BodyReader. Wrappers (`(next) =>
 * handler`) composed with compose(); error shaping; query, cookies; JSON,
 * form and multipart bodies; redirects, files and server-sent events.
 */
export { compose, type Wrapper } from './compose.js';
export { addHeaders } from './add-headers.js';
export { cors, DEFAULT_CORS_MAX_AGE, type CorsOptions } from './cors.js';
export { requestId, requestIdOf, MAX_REQUEST_ID_LENGTH, type RequestIdOptions } from './request-id.js';
export { serverTiming, recordTiming, type ServerTimingOptions } from './server-timing.js';
export { timeout, deadlineSignal, type TimeoutOptions } from './timeout.js';
export {
  basicAuth,
  authUser,
  hashPassword,
  verifyPassword,
  isPasswordHash,
  parseBasicCredentials,
  SCRYPT_DEFAULTS,
  SCRYPT_CONCURRENCY,
  VERIFIED_CACHE_ENTRIES,
  type BasicAuthOptions,
  type BasicCredentials,
  type ScryptParams,
} from './basic-auth.js';
export { jsonErrors, acceptsJson } from './json-errors.js';
export { searchParams } from './query.js';
export {
  cookies,
  parseCookies,
  serializeCookie,
  setCookie,
  clearCookie,
  cookieSigner,
  MIN_COOKIE_KEY_BYTES,
  type CookieOptions,
  type CookieSigner,
} from './cookies.js';
export { requestMediaType, type MediaType } from './content-type.js';
export { readJSON, readForm, type ReadBodyOptions } from './read-body.js';
export { readMultipart, multipartParts, DEFAULT_MULTIPART_LIMITS, type MultipartLimits, type Part } from './multipart.js';
export { safeFilename, saveFile, MAX_FILENAME_BYTES, type SaveFileOptions, type SavedFile } from './save-file.js';
export { redirect, type RedirectStatus } from './redirect.js';
export { sendFile, contentDisposition, type SendFileOptions } from './send-file.js';
export {
  eventStream,
  formatEvent,
  lastEventId,
  DEFAULT_HEARTBEAT_MS,
  type EventStreamSource,
  type EventStreamOptions,
  type ServerSentEvent,
} from './sse.js';
