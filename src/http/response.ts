/**
 * The response writer (book 6.5, 8.1-8.2; RFC 9112 §4, §6, §7): status line,
 * header fields, and the body framed by Content-Length when its length is
 * known, chunked when it is not (close-delimited for HTTP/1.0 clients).
 *
 * The head and small bodies go into the connection's BufWriter, so that a
 * response leaves in one write and responses to pipelined requests can share
 * one. Large chunks bypass the buffer (writev, no copy). Every write of body
 * data is awaited before the next read() of the body: that is the backpressure,
 * and what lets body readers reuse their buffers.
 */
import type { BufWriter } from '../net/bufwriter.js';
import { httpDateLine } from './date.js';
import { STATUS_TEXT } from './errors.js';
import type { BodyReader, HeaderValue, HTTPRes, HTTPVersion, ResponseHeaders } from './types.js';

/** Chunks up to this size are copied into the write buffer; larger ones are sent as they are. */
const COPY_THRESHOLD = 16 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What may appear in a field value we send: HTAB, SP, VCHAR, obs-text. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Thrown when a response cannot be written as given (bad header, bad status, failing or short body). */
export class ResponseError extends Error {
  /** Nothing of the response was written yet: another response can still be sent. */
  readonly beforeHead: boolean;
  constructor(message: string, beforeHead: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ResponseError';
    this.beforeHead = beforeHead;
  }
}

/**
 * Checks a header field the application wants to send. CR, LF or NUL in a
 * name or value would split the response (book 6.9): they are refused, never
 * written. Call it early to fail in the application's own code.
 */
export function validateHeader(name: string, value: string): void {
  if (!validNames.has(name)) {
    if (!TOKEN.test(name)) throw new ResponseError(`invalid header name ${JSON.stringify(name)}`, true);
    remember(validNames, name);
  }
  if (!validValues.has(value)) {
    if (BAD_VALUE.test(value)) throw new ResponseError(`invalid character in header ${name}`, true);
    remember(validValues, value);
  }
}

/**
 * Names and values already found valid. Applications send the same few
 * headers over and over; a set lookup is cheaper than two regex runs. Bounded:
 * cleared when full, so varying values (dates, ETags) cannot grow it.
 */
const validNames = new Set<string>();
const validValues = new Set<string>();
const MAX_REMEMBERED = 1024;

function remember(set: Set<string>, s: string): void {
  if (s.length > 256) return;
  if (set.size >= MAX_REMEMBERED) set.clear();
  set.add(s);
}

export type WriteOptions = {
  method: string;
  version: HTTPVersion;
  /** Announce and perform a close after this response. */
  close: boolean;
  /** Value of the Server header, or null for none. */
  server: string | null;
  /** Updated as the response goes out, so that a response cut off half-way is known. */
  progress: WriteProgress;
};

/** How far a response has got. */
export type WriteProgress = {
  /** The status line and fields are written (a 100 Continue may no longer be sent). */
  headSent: boolean;
  /** Body bytes written so far (excluding framing). */
  bytes: number;
};

/** What was written, for the connection loop and the access log. */
export type WriteResult = {
  /** Body bytes sent (excluding framing). */
  bytes: number;
  /** The connection must close after this response (HTTP/1.0 without a length, app asked...). */
  close: boolean;
};

/** Status lines by code, as bytes. */
const statusLines: Buffer[] = [];
function statusLine(code: number): Buffer {
  let line = statusLines[code];
  if (line === undefined) {
    line = Buffer.from(`HTTP/1.1 ${code} ${STATUS_TEXT[code] ?? 'Unknown'}\r\n`, 'latin1');
    statusLines[code] = line;
  }
  return line;
}

const CONTENT_LENGTH = Buffer.from('Content-Length: ');
const CHUNKED = Buffer.from('Transfer-Encoding: chunked\r\n');
const CONNECTION_CLOSE = Buffer.from('Connection: close\r\n');
const CONNECTION_KEEP_ALIVE = Buffer.from('Connection: keep-alive\r\n');
const CONNECTION_UPGRADE = Buffer.from('Connection: Upgrade\r\n');

/** `Server: <name>\r\n` for the last server name asked for: a server sends the same one every time. */
let serverLine = { name: '', bytes: Buffer.alloc(0) };
function serverField(name: string): Buffer {
  if (serverLine.name !== name) serverLine = { name, bytes: Buffer.from(`Server: ${name}\r\n`, 'latin1') };
  return serverLine.bytes;
}

/**
 * Status line, Date and Server of the usual response, in one piece per
 * status code: rebuilt when the date line or the server name changes (once
 * a second), so that most heads start with one copy.
 */
let usualStarts: { date: Buffer; server: string | null; byCode: Buffer[] } = { date: Buffer.alloc(0), server: null, byCode: [] };
function usualStart(code: number, server: string | null): Buffer {
  const date = httpDateLine();
  if (usualStarts.date !== date || usualStarts.server !== server) usualStarts = { date, server, byCode: [] };
  let start = usualStarts.byCode[code];
  if (start === undefined) {
    const parts = [statusLine(code), date];
    if (server !== null) parts.push(serverField(server));
    start = Buffer.concat(parts);
    usualStarts.byCode[code] = start;
  }
  return start;
}

/**
 * Field lines already serialised, by name: the last value sent under each
 * name and the bytes of its line. Applications send the same few fields
 * again and again; a hit costs a map lookup and a copy, no validation and
 * no string building. Bounded like the sets above.
 */
const fieldLines = new Map<string, { value: string; bytes: Buffer }>();

/** Appends the field line(s) of one application header, validated. */
function pushField(out: BufWriter, name: string, v: HeaderValue): void {
  if (typeof v === 'string') {
    const known = fieldLines.get(name);
    if (known !== undefined && known.value === v) {
      out.push(known.bytes);
      return;
    }
    validateHeader(name, v);
    if (v.length > 256) {
      out.pushLatin1(`${name}: ${v}\r\n`);
      return;
    }
    const bytes = Buffer.from(`${name}: ${v}\r\n`, 'latin1');
    if (fieldLines.size >= MAX_REMEMBERED) fieldLines.clear();
    fieldLines.set(name, { value: v, bytes });
    out.push(bytes);
  } else if (typeof v === 'number') {
    validateHeader(name, '');
    out.pushLatin1(`${name}: ${v}\r\n`);
  } else {
    for (const item of v) {
      validateHeader(name, item);
      out.pushLatin1(`${name}: ${item}\r\n`);
    }
  }
}

/** What the fields an application set say about the head weft adds around them. */
type FieldFlags = {
  /** Connection: close was among them. */
  close: boolean;
  /** They have their own Date... */
  date: boolean;
  /** ...and Server. */
  server: boolean;
};

const NO_FLAGS: FieldFlags = { close: false, date: false, server: false };

/**
 * The names weft owns or watches, found without lower-casing every name:
 * only names of these lengths can be one of them.
 */
function special(name: string): string | null {
  const n = name.length;
  if (n !== 4 && n !== 6 && n !== 10 && n !== 14 && n !== 17) return null;
  const key = name.toLowerCase();
  return key === 'content-length' || key === 'transfer-encoding' || key === 'connection' || key === 'date' || key === 'server'
    ? key
    : null;
}

function closesConnection(v: HeaderValue): boolean {
  return String(v).toLowerCase().split(',').some((t) => t.trim() === 'close');
}

/** The flags of an application's fields (framing fields are skipped when they are written). */
function fieldFlags(headers: ResponseHeaders): FieldFlags {
  let flags = NO_FLAGS;
  for (const name in headers) {
    const key = special(name);
    if (key === null || key === 'content-length' || key === 'transfer-encoding') continue;
    if (flags === NO_FLAGS) flags = { ...NO_FLAGS };
    if (key === 'connection') flags.close ||= closesConnection(headers[name]!);
    else if (key === 'date') flags.date = true;
    else flags.server = true;
  }
  return flags;
}

/** Appends the application's fields, without the ones weft owns (framing, Connection). */
function pushFields(out: BufWriter, headers: ResponseHeaders): void {
  for (const name in headers) {
    const key = special(name);
    if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection') continue;
    pushField(out, name, headers[name]!);
  }
}

/**
 * A header record serialised once, for responses that send the same fields
 * over and over (a cached file); see HTTPRes.prepared.
 */
export type PreparedHeaders = {
  readonly names: readonly string[];
  readonly values: readonly HeaderValue[];
  /** The field lines, weft's own fields left out, as writeResponse would write them. */
  readonly bytes: Buffer;
  readonly flags: FieldFlags;
};

/** Serialises `headers` for HTTPRes.prepared. Throws ResponseError for an invalid field. */
export function prepareHeaders(headers: ResponseHeaders): PreparedHeaders {
  const names = Object.keys(headers);
  let text = '';
  for (const name of names) {
    const key = special(name);
    if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection') continue;
    const v = headers[name]!;
    for (const item of typeof v === 'object' ? v : [v]) {
      validateHeader(name, typeof item === 'number' ? '' : item);
      text += `${name}: ${item}\r\n`;
    }
  }
  // A list value is kept as a copy: the same array changed in place must not pass for the one serialised.
  const values = names.map((n) => {
    const v = headers[n]!;
    return typeof v === 'object' ? [...v] : v;
  });
  return { names, values, bytes: Buffer.from(text, 'latin1'), flags: fieldFlags(headers) };
}

/** True when `headers` holds exactly the fields `prepared` was made from, in the same order. */
function stillPrepared(headers: ResponseHeaders, prepared: PreparedHeaders): boolean {
  const { names, values } = prepared;
  let i = 0;
  for (const name in headers) {
    if (name !== names[i]) return false;
    const v = headers[name]!;
    const was = values[i]!;
    if (v !== was && !(typeof v === 'object' && typeof was === 'object' && sameItems(v, was))) return false;
    i++;
  }
  return i === names.length;
}

function sameItems(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Appends the status line, Date, Server and the application's fields; the
 * caller adds the framing fields and the final CRLF. Returns whether the
 * connection closes after this response. On an invalid field nothing stays
 * appended (the ResponseError says so with `beforeHead`).
 */
function pushHeadStart(out: BufWriter, res: HTTPRes, opts: WriteOptions): boolean {
  const code = res.code;
  if (!Number.isInteger(code) || code < 100 || code > 999) throw new ResponseError(`invalid status code ${code}`, true);
  const headers = res.headers;
  const prepared = res.prepared;
  const ready = prepared !== undefined && headers !== undefined && stillPrepared(headers, prepared) ? prepared : null;
  const flags = ready !== null ? ready.flags : headers === undefined ? NO_FLAGS : fieldFlags(headers);
  const mark = out.buffered;
  if (!flags.date && !flags.server) {
    out.push(usualStart(code, opts.server));
  } else {
    out.push(statusLine(code));
    if (!flags.date) out.push(httpDateLine());
    if (!flags.server && opts.server !== null) out.push(serverField(opts.server));
  }
  if (ready !== null) out.push(ready.bytes);
  else if (headers !== undefined) {
    try {
      pushFields(out, headers);
    } catch (err) {
      out.rewind(mark);
      throw err;
    }
  }
  return opts.close || flags.close;
}

/**
 * Writes `res` to `out`. The body is always closed (exactly once), even when
 * writing fails. A ResponseError with `beforeHead` means nothing was written
 * and another response may be sent instead; any other failure means the
 * connection must be aborted.
 *
 * A body already in memory (or none) is written synchronously: no promise,
 * no microtask, on the path most responses take.
 */
export function writeResponse(out: BufWriter, res: HTTPRes, opts: WriteOptions): WriteResult | Promise<WriteResult> {
  const body = res.body;
  if (body === undefined) return writeInMemory(out, res, null, opts);
  if (body.close === undefined && body.bytes !== undefined && body.bytes.length <= COPY_THRESHOLD) {
    return writeInMemory(out, res, body.bytes, opts);
  }
  return writeStreamed(out, res, body, opts);
}

const hasNoBody = (code: number, method: string): boolean =>
  method === 'HEAD' || code < 200 || code === 204 || code === 304;

/** Appends `Content-Length: n`. */
function pushLength(out: BufWriter, length: number): void {
  out.push(CONTENT_LENGTH);
  out.pushDecimal(length);
  out.pushCRLF();
}

/** HEAD announces the length GET would have sent; 1xx, 204 and 304 carry none. */
function pushLengthField(out: BufWriter, code: number, method: string, length: number): void {
  if (!hasNoBody(code, method) || (method === 'HEAD' && length >= 0 && code >= 200 && code !== 204 && code !== 304)) {
    pushLength(out, length);
  }
}

/** Appends the Connection field (if any) and the empty line that ends the head. */
function pushHeadEnd(out: BufWriter, close: boolean, version: HTTPVersion, code: number): void {
  if (code === 101) out.push(CONNECTION_UPGRADE);
  else if (close) out.push(CONNECTION_CLOSE);
  else if (version === '1.0') out.push(CONNECTION_KEEP_ALIVE);
  out.pushCRLF();
}

function writeInMemory(out: BufWriter, res: HTTPRes, bytes: Buffer | null, opts: WriteOptions): WriteResult {
  const close = pushHeadStart(out, res, opts);
  const length = bytes === null ? 0 : bytes.length;
  pushLengthField(out, res.code, opts.method, length);
  pushHeadEnd(out, close, opts.version, res.code);
  opts.progress.headSent = true;
  if (bytes === null || hasNoBody(res.code, opts.method)) return { bytes: 0, close };
  out.push(bytes);
  opts.progress.bytes = length;
  return { bytes: length, close };
}

async function writeStreamed(out: BufWriter, res: HTTPRes, body: BodyReader, opts: WriteOptions): Promise<WriteResult> {
  let ok = false;
  try {
    const result = await writeHeadAndBody(out, res, body, opts);
    ok = true;
    return result;
  } finally {
    if (body.close !== undefined) {
      // After a failure the reader may be stuck in a read that never returns
      // (a generator awaiting something): close it, but do not wait on it.
      if (ok) await body.close();
      else Promise.resolve(body.close()).catch(() => {});
    }
  }
}

/**
 * The next chunk of a streamed body, or a rejection as soon as the
 * connection closes: a body waiting for something that never comes (a
 * generator awaiting an event) must not hold the connection loop.
 */
function nextChunk(body: BodyReader, out: BufWriter): Promise<Buffer> {
  const read = body.read();
  return new Promise((resolve, reject) => {
    const unwatch = out.conn.onFailure(reject);
    read.then(
      (chunk) => {
        unwatch();
        resolve(chunk);
      },
      (err: unknown) => {
        unwatch();
        reject(err);
      },
    );
  });
}

async function writeHeadAndBody(out: BufWriter, res: HTTPRes, body: BodyReader, opts: WriteOptions): Promise<WriteResult> {
  const code = res.code;
  const length = body.bytes !== undefined ? body.bytes.length : body.length;
  // Infinity, NaN or 1.5 would make a Content-Length that means nothing (or never ends being written).
  if (!Number.isSafeInteger(length)) throw new ResponseError(`invalid body length ${length}`, true);

  if (hasNoBody(code, opts.method)) {
    const close = pushHeadStart(out, res, opts);
    pushLengthField(out, code, opts.method, length);
    pushHeadEnd(out, close, opts.version, code);
    opts.progress.headSent = true;
    return { bytes: 0, close };
  }

  const bytes = body.bytes;
  if (bytes !== undefined) {
    const close = pushHeadStart(out, res, opts);
    pushLength(out, bytes.length);
    pushHeadEnd(out, close, opts.version, code);
    opts.progress.headSent = true;
    if (bytes.length <= COPY_THRESHOLD) out.push(bytes);
    else await out.flushWith(bytes);
    opts.progress.bytes = bytes.length;
    return { bytes: bytes.length, close };
  }

  // A streamed body. Read the first chunk before committing to a head, so a
  // body that fails at once still becomes a clean 500. The head is checked
  // first, so that an invalid field fails before the body is read.
  const mark = out.buffered;
  let close = pushHeadStart(out, res, opts);
  out.rewind(mark);
  let chunk: Buffer;
  try {
    chunk = length === 0 ? Buffer.alloc(0) : await nextChunk(body, out);
  } catch (err) {
    throw new ResponseError('response body failed', true, { cause: err });
  }
  close = pushHeadStart(out, res, opts);

  if (length >= 0) {
    pushLength(out, length);
    pushHeadEnd(out, close, opts.version, code);
    opts.progress.headSent = true;
    let sent = 0;
    while (chunk.length > 0) {
      sent += chunk.length;
      opts.progress.bytes = sent;
      if (sent > length) throw new ResponseError('body longer than its declared length', false);
      await writeData(out, chunk);
      if (sent === length) break;
      chunk = await nextChunk(body, out);
    }
    if (sent < length) throw new ResponseError('body shorter than its declared length', false);
    return { bytes: sent, close };
  }

  if (opts.version === '1.0') {
    // No chunked coding in HTTP/1.0: the end of the body is the end of the connection.
    close = true;
    pushHeadEnd(out, close, opts.version, code);
    opts.progress.headSent = true;
    let sent = 0;
    for (; chunk.length > 0; chunk = await nextChunk(body, out)) {
      sent += chunk.length;
      opts.progress.bytes = sent;
      await writeData(out, chunk);
      await out.flush();
    }
    return { bytes: sent, close };
  }

  out.push(CHUNKED);
  pushHeadEnd(out, close, opts.version, code);
  opts.progress.headSent = true;
  let sent = 0;
  for (; chunk.length > 0; chunk = await nextChunk(body, out)) {
    sent += chunk.length;
    opts.progress.bytes = sent;
    out.pushLatin1(`${chunk.length.toString(16)}\r\n`);
    if (chunk.length <= COPY_THRESHOLD) {
      out.push(chunk);
      out.pushCRLF();
      // Streamed data is sent as it is produced, not held for the next chunk.
      await out.flush();
    } else {
      await out.flushWith(chunk);
      out.pushCRLF();
    }
  }
  out.pushLatin1('0\r\n\r\n');
  return { bytes: sent, close };
}

/** Small data joins the buffer; large data flushes it and goes out uncopied. */
function writeData(out: BufWriter, chunk: Buffer): Promise<void> | undefined {
  if (chunk.length <= COPY_THRESHOLD) {
    out.push(chunk);
    return out.buffered >= out.limit ? out.flush() : undefined;
  }
  return out.flushWith(chunk);
}
