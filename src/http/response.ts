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
import { httpDateNow } from './date.js';
import { STATUS_TEXT } from './errors.js';
import type { BodyReader, HTTPRes, HTTPVersion, ResponseHeaders } from './types.js';

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

const statusLines: string[] = [];
function statusLine(code: number): string {
  let s = statusLines[code];
  if (s === undefined) {
    s = `HTTP/1.1 ${code} ${STATUS_TEXT[code] ?? 'Unknown'}\r\n`;
    if (code < 1000) statusLines[code] = s;
  }
  return s;
}

/**
 * Serialises the app's header fields, skipping the ones weft owns: framing
 * (Content-Length, Transfer-Encoding), Connection, and Date/Server when the
 * app leaves them out. Returns flags about what the app set.
 */
function appHeaders(headers: ResponseHeaders | undefined): { text: string; close: boolean; date: boolean; server: boolean } {
  let text = '';
  let close = false;
  let date = false;
  let server = false;
  if (headers === undefined) return { text, close, date, server };
  for (const name in headers) {
    const v = headers[name]!;
    // Only names of these lengths can be special: avoid lower-casing every name.
    const n = name.length;
    if (n === 4 || n === 6 || n === 10 || n === 14 || n === 17) {
      const key = name.toLowerCase();
      if (key === 'content-length' || key === 'transfer-encoding') continue;
      if (key === 'connection') {
        if (String(v).toLowerCase().split(',').some((t) => t.trim() === 'close')) close = true;
        continue;
      }
      if (key === 'date') date = true;
      else if (key === 'server') server = true;
    }
    if (typeof v === 'string') {
      validateHeader(name, v);
      text += `${name}: ${v}\r\n`;
    } else if (typeof v === 'number') {
      validateHeader(name, '');
      text += `${name}: ${v}\r\n`;
    } else {
      for (const item of v) {
        validateHeader(name, item);
        text += `${name}: ${item}\r\n`;
      }
    }
  }
  return { text, close, date, server };
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

/** Status line, Date, Server and the application's fields; framing comes after. */
function headStart(res: HTTPRes, opts: WriteOptions): { head: string; close: boolean } {
  const code = res.code;
  if (!Number.isInteger(code) || code < 100 || code > 999) throw new ResponseError(`invalid status code ${code}`, true);
  const app = appHeaders(res.headers);
  let head = statusLine(code);
  if (!app.date) head += `Date: ${httpDateNow()}\r\n`;
  if (!app.server && opts.server !== null) head += `Server: ${opts.server}\r\n`;
  return { head: head + app.text, close: opts.close || app.close };
}

const hasNoBody = (code: number, method: string): boolean =>
  method === 'HEAD' || code < 200 || code === 204 || code === 304;

/** HEAD announces the length GET would have sent; 1xx, 204 and 304 carry none. */
function lengthField(code: number, method: string, length: number): string {
  if (!hasNoBody(code, method)) return `Content-Length: ${length}\r\n`;
  return method === 'HEAD' && length >= 0 && code >= 200 && code !== 204 && code !== 304 ? `Content-Length: ${length}\r\n` : '';
}

function writeInMemory(out: BufWriter, res: HTTPRes, bytes: Buffer | null, opts: WriteOptions): WriteResult {
  const { head, close } = headStart(res, opts);
  const length = bytes === null ? 0 : bytes.length;
  out.pushLatin1(head + lengthField(res.code, opts.method, length) + connectionHeader(close, opts.version, res.code) + '\r\n');
  opts.progress.headSent = true;
  if (bytes === null || hasNoBody(res.code, opts.method)) return { bytes: 0, close };
  out.push(bytes);
  opts.progress.bytes = length;
  return { bytes: length, close };
}

/** Pushes the head of a response: from here on, nothing else may be sent before it ends. */
function pushHead(out: BufWriter, text: string, opts: WriteOptions): void {
  out.pushLatin1(text);
  opts.progress.headSent = true;
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
  const start = headStart(res, opts);
  const head = start.head;
  let close = start.close;
  const length = body.bytes !== undefined ? body.bytes.length : body.length;

  if (hasNoBody(code, opts.method)) {
    pushHead(out, head + lengthField(code, opts.method, length) + connectionHeader(close, opts.version, code) + '\r\n', opts);
    return { bytes: 0, close };
  }

  const bytes = body.bytes;
  if (bytes !== undefined) {
    pushHead(out, head + `Content-Length: ${bytes.length}\r\n` + connectionHeader(close, opts.version, code) + '\r\n', opts);
    if (bytes.length <= COPY_THRESHOLD) out.push(bytes);
    else await out.flushWith(bytes);
    opts.progress.bytes = bytes.length;
    return { bytes: bytes.length, close };
  }

  // A streamed body. Read the first chunk before committing to a head, so a
  // body that fails at once still becomes a clean 500.
  let chunk: Buffer;
  try {
    chunk = length === 0 ? Buffer.alloc(0) : await nextChunk(body, out);
  } catch (err) {
    throw new ResponseError('response body failed', true, { cause: err });
  }

  if (length >= 0) {
    pushHead(out, head + `Content-Length: ${length}\r\n` + connectionHeader(close, opts.version, code) + '\r\n', opts);
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
    pushHead(out, head + connectionHeader(close, opts.version, code) + '\r\n', opts);
    let sent = 0;
    for (; chunk.length > 0; chunk = await nextChunk(body, out)) {
      sent += chunk.length;
      opts.progress.bytes = sent;
      await writeData(out, chunk);
      await out.flush();
    }
    return { bytes: sent, close };
  }

  pushHead(out, head + 'Transfer-Encoding: chunked\r\n' + connectionHeader(close, opts.version, code) + '\r\n', opts);
  let sent = 0;
  for (; chunk.length > 0; chunk = await nextChunk(body, out)) {
    sent += chunk.length;
      opts.progress.bytes = sent;
    out.pushLatin1(`${chunk.length.toString(16)}\r\n`);
    if (chunk.length <= COPY_THRESHOLD) {
      out.push(chunk);
      out.pushLatin1('\r\n');
      // Streamed data is sent as it is produced, not held for the next chunk.
      await out.flush();
    } else {
      await out.flushWith(chunk);
      out.pushLatin1('\r\n');
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

function connectionHeader(close: boolean, version: HTTPVersion, code: number): string {
  if (code === 101) return 'Connection: Upgrade\r\n';
  if (close) return 'Connection: close\r\n';
  return version === '1.0' ? 'Connection: keep-alive\r\n' : '';
}
