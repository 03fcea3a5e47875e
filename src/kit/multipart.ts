/**
 * A streaming multipart/form-data reader (RFC 7578, framing of RFC 2046
 * §5.1.1): an async iterator of parts, each with its header fields, name,
 * file name and a BodyReader of its bytes, parsed as the request body
 * arrives. Memory stays constant whatever the size of a part: part bytes are
 * handed out as slices of the chunks read, and only a tail that could be the
 * start of a delimiter (at most 73 bytes) is held back between chunks. The
 * delimiter search is Buffer.indexOf (native, no per-byte JavaScript).
 *
 * Limits (413 past them): parts, bytes of one part's header block, bytes of
 * a field (a part without filename) and of a file. Malformed framing is 400:
 * a boundary line followed by anything but optional whitespace and CRLF, a
 * body that ends before the final `--boundary--`, a part without
 * `Content-Disposition: form-data; name=...`, a bad header line. A client's
 * filename is reported as sent and never used as a path: see safeFilename()
 * and saveFile().
 *
 * Parts are read one at a time, in order: asking for the next part skips
 * what is left of the current one (its limit still applies).
 */
import { HTTPError } from '../http/errors.js';
import { FieldList, isToken, splitParams } from '../http/fields.js';
import type { BodyReader, HTTPReq } from '../http/types.js';
import { refuseContentCoding, requestMediaType } from './content-type.js';

/** Limits of one multipart body; a part past one is 413. */
export type MultipartLimits = {
  /** Parts in one body. Default 1000. */
  maxParts?: number;
  /** Bytes of one part's header block. Default 16 KiB. */
  maxHeaderSize?: number;
  /** Bytes of one field (a part without a filename). Default 1 MiB. */
  maxFieldSize?: number;
  /** Bytes of one file. Default unlimited (the server's maxBodySize still applies). */
  maxFileSize?: number;
};

/** The limits readMultipart() applies unless told otherwise. */
export const DEFAULT_MULTIPART_LIMITS: Readonly<Required<MultipartLimits>> = {
  maxParts: 1000,
  maxHeaderSize: 16 * 1024,
  maxFieldSize: 1024 * 1024,
  maxFileSize: Infinity,
};

/** One part of a multipart/form-data body. */
export type Part = {
  /** The part's header fields (values decoded as UTF-8). */
  readonly headers: FieldList;
  /** The form field's name. */
  readonly name: string;
  /**
   * The file name the client gave, exactly as sent (a file input with no file
   * gives ""); null for a plain field. Untrusted: a display string that may
   * hold "../", "/", "\", controls. Never use it as a path.
   */
  readonly filename: string | null;
  /** The part's media type; default text/plain (RFC 7578 §4.4). */
  readonly contentType: string;
  /** The part's bytes. A chunk is valid until the next read. Ends (empty read) at the part's end. */
  readonly body: BodyReader;
};

/** Longest boundary (RFC 2046 §5.1.1). */
const MAX_BOUNDARY = 70;
/** Whitespace allowed after a boundary, before its CRLF (transport padding), in bytes. */
const MAX_PADDING = 256;
const BCHARS = /^[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]$/;
const EMPTY = Buffer.alloc(0);
const CRLF = Buffer.from('\r\n');

const bad = (message: string): HTTPError => new HTTPError(400, message);
const tooLarge = (message: string): HTTPError => new HTTPError(413, message);

/**
 * The parts of a multipart/form-data request. 415 unless the request says
 * `Content-Type: multipart/form-data`, 400 without a valid boundary.
 *
 * @example
 * for await (const part of readMultipart(req, body, { maxFileSize: 100 * 1024 * 1024 })) {
 *   if (part.filename === null) fields[part.name] = (await readAll(part.body)).toString();
 *   else saved.push(await saveFile(part, UPLOADS));
 * }
 */
export function readMultipart(req: HTTPReq, body: BodyReader, limits: MultipartLimits = {}): AsyncIterableIterator<Part> {
  refuseContentCoding(req);
  const media = requestMediaType(req);
  if (media?.type !== 'multipart/form-data') throw new HTTPError(415, 'expected multipart/form-data');
  const boundary = media.params['boundary'];
  if (boundary === undefined) throw bad('multipart/form-data without a boundary');
  return multipartParts(body, boundary, limits);
}

/** The parts of a multipart body with this boundary (the parser readMultipart uses, for any byte source). */
export function multipartParts(source: BodyReader, boundary: string, limits: MultipartLimits = {}): AsyncIterableIterator<Part> {
  if (boundary.length > MAX_BOUNDARY || !BCHARS.test(boundary)) throw bad('invalid multipart boundary');
  const parser = new MultipartParser(source, boundary, { ...DEFAULT_MULTIPART_LIMITS, ...limits });
  return {
    next: () => parser.nextPart(),
    return: async () => {
      parser.stop();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

const enum State {
  /** Before the first delimiter: bytes are skipped. */
  Preamble,
  /** Just after a delimiter: "--" ends the body, padding + CRLF starts a part. */
  AfterDelimiter,
  Headers,
  Body,
  Done,
}

class MultipartParser {
  /** "\r\n--boundary": what ends a part. */
  private readonly delimiter: Buffer;
  /** Unconsumed input is buf[pos..]. It starts as CRLF, so a delimiter at the very start is found like any other. */
  private buf: Buffer = CRLF;
  private pos = 0;
  private state = State.Preamble;
  private failure: unknown = null;
  private busy = false;
  private parts = 0;
  /** The part being read, its byte count and limit. */
  private current: Part | null = null;
  private partBytes = 0;
  private partLimit = 0;

  constructor(
    private readonly source: BodyReader,
    boundary: string,
    private readonly limits: Required<MultipartLimits>,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  stop(): void {
    this.state = State.Done;
    this.current = null;
  }

  /** Runs `step` alone, remembering a failure so that every later call repeats it. */
  private async guarded<T>(step: () => Promise<T>): Promise<T> {
    if (this.failure !== null) throw this.failure;
    if (this.busy) throw new Error('multipart: read one part at a time, one read at a time');
    this.busy = true;
    try {
      return await step();
    } catch (err) {
      this.failure = err;
      this.current = null;
      throw err;
    } finally {
      this.busy = false;
    }
  }

  /** Appends the next chunk of the source to the unconsumed input; false at its end. */
  private async more(): Promise<boolean> {
    // Copy what is left before reading: a source may reuse its buffer.
    const rest = this.pos < this.buf.length ? Buffer.from(this.buf.subarray(this.pos)) : null;
    const chunk = await this.source.read();
    if (chunk.length === 0) return false;
    this.buf = rest === null ? chunk : Buffer.concat([rest, chunk]);
    this.pos = 0;
    return true;
  }

  nextPart(): Promise<IteratorResult<Part>> {
    return this.guarded(async () => {
      if (this.state === State.Body) while ((await this.partData()).length > 0);
      if (this.state === State.Preamble) await this.skipPreamble();
      if (this.state === State.AfterDelimiter) await this.boundaryLine();
      if (this.state === State.Done) return { done: true, value: undefined };
      return { done: false, value: await this.startPart() };
    });
  }

  private async skipPreamble(): Promise<void> {
    const d = this.delimiter;
    for (;;) {
      const i = this.buf.indexOf(d, this.pos);
      if (i >= 0) {
        this.pos = i + d.length;
        this.state = State.AfterDelimiter;
        return;
      }
      this.pos = Math.max(this.pos, this.buf.length - (d.length - 1));
      if (!(await this.more())) throw bad('multipart body without a boundary');
    }
  }

  /** After a delimiter: "--" (the end), or transport padding and CRLF (a part follows). */
  private async boundaryLine(): Promise<void> {
    for (;;) {
      const { buf, pos } = this;
      const len = buf.length;
      if (pos < len && buf[pos] === 0x2d /* - */) {
        if (pos + 1 < len) {
          if (buf[pos + 1] !== 0x2d) throw bad('malformed multipart boundary line');
          this.pos = pos + 2;
          this.state = State.Done; // the epilogue is left unread: the server drains it
          return;
        }
      } else {
        let i = pos;
        while (i < len && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
        if (i - pos > MAX_PADDING) throw bad('malformed multipart boundary line');
        if (i < len) {
          if (buf[i] !== 0x0d) throw bad('malformed multipart boundary line');
          if (i + 1 < len) {
            if (buf[i + 1] !== 0x0a) throw bad('malformed multipart boundary line');
            this.pos = i + 2;
            this.state = State.Headers;
            return;
          }
        }
      }
      if (!(await this.more())) throw bad('multipart body ended without its final boundary');
    }
  }

  private async startPart(): Promise<Part> {
    if (++this.parts > this.limits.maxParts) throw tooLarge(`more than ${this.limits.maxParts} parts`);
    const headers = await this.readHeaders();
    const disposition = headers.get('content-disposition');
    if (disposition === undefined) throw bad('multipart part without Content-Disposition');
    const [kind, ...params] = splitParams(disposition);
    if (kind!.toLowerCase() !== 'form-data') throw bad('multipart part is not form-data');
    const fields = dispositionParams(params);
    const name = fields.get('name');
    if (name === undefined) throw bad('multipart part without a name');
    const filename = fields.get('filename') ?? null;
    const part: Part = {
      headers,
      name,
      filename,
      contentType: headers.get('content-type')?.trim() || 'text/plain',
      body: { length: -1, read: () => this.readPartOf(part) },
    };
    this.current = part;
    this.partBytes = 0;
    this.partLimit = filename === null ? this.limits.maxFieldSize : this.limits.maxFileSize;
    this.state = State.Body;
    return part;
  }

  /** Header lines up to the empty one, within maxHeaderSize. */
  private async readHeaders(): Promise<FieldList> {
    const headers = new FieldList();
    const max = this.limits.maxHeaderSize;
    let size = 0;
    for (;;) {
      const end = this.buf.indexOf(CRLF, this.pos);
      if (end < 0) {
        if (size + this.buf.length - this.pos > max) throw tooLarge('multipart part header too large');
        if (!(await this.more())) throw bad('multipart body ended in a part header');
        continue;
      }
      size += end + 2 - this.pos;
      if (size > max) throw tooLarge('multipart part header too large');
      const line = this.buf.toString('utf8', this.pos, end);
      this.pos = end + 2;
      if (line === '') return headers;
      addHeaderLine(line, headers);
    }
  }

  private readPartOf(part: Part): Promise<Buffer> {
    if (this.current !== part && this.failure === null) return Promise.resolve(EMPTY);
    return this.guarded(() => this.partData());
  }

  /** The next bytes of the current part, or empty at its end. */
  private async partData(): Promise<Buffer> {
    const d = this.delimiter;
    for (;;) {
      if (this.state !== State.Body) return EMPTY;
      const { buf, pos } = this;
      if (pos < buf.length) {
        const i = buf.indexOf(d, pos);
        if (i >= 0) {
          this.pos = i + d.length;
          this.state = State.AfterDelimiter;
          this.current = null;
          return this.counted(buf.subarray(pos, i));
        }
        const end = buf.length - delimiterPrefixAtEnd(buf, pos, d);
        if (end > pos) {
          this.pos = end;
          return this.counted(buf.subarray(pos, end));
        }
      }
      if (!(await this.more())) throw bad('multipart body ended without its final boundary');
    }
  }

  private counted(data: Buffer): Buffer {
    this.partBytes += data.length;
    if (this.partBytes > this.partLimit) throw tooLarge(`multipart part over ${this.partLimit} bytes`);
    return data;
  }
}

/**
 * The length of the longest tail of buf[from..] that is a proper prefix of
 * `delimiter`: bytes that may be the start of a delimiter completed by the
 * next chunk. Delimiters start with CR, so only CRs are candidates.
 */
function delimiterPrefixAtEnd(buf: Buffer, from: number, delimiter: Buffer): number {
  const len = buf.length;
  let i = buf.indexOf(0x0d, Math.max(from, len - (delimiter.length - 1)));
  while (i >= 0) {
    if (buf.compare(delimiter, 0, len - i, i, len) === 0) return len - i;
    i = buf.indexOf(0x0d, i + 1);
  }
  return 0;
}

/** One `name: value` header line of a part (no obs-fold, no controls but HTAB). */
function addHeaderLine(line: string, headers: FieldList): void {
  const colon = line.indexOf(':');
  const name = colon > 0 ? line.slice(0, colon) : '';
  if (!isToken(name)) throw bad('malformed multipart header line');
  const value = line.slice(colon + 1).trim();
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw bad('control character in a multipart header');
  headers.add(name, value);
}

/**
 * Content-Disposition parameters, names lower-cased. Quoted values lose the
 * escapes `\"` and `\\` only: browsers send other backslashes as they are
 * (Windows paths), and percent-encode quotes and line breaks.
 */
function dispositionParams(params: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    let value = p.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(["\\])/g, '$1');
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}
