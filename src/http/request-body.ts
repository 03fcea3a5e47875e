/**
 * Request body readers (book 8.4, RFC 9112 §6-§7): by Content-Length, and
 * chunked. Both read from the connection's input buffer and hand out bytes as
 * soon as they arrive — never waiting for a whole chunk — so a 10 GiB upload
 * streams in constant memory.
 */
import type { DynBuf } from '../net/dynbuf.js';
import { HTTPError } from './errors.js';
import { FieldList } from './fields.js';
import { parseFieldLine } from './head.js';
import type { HTTPLimits } from './limits.js';
import type { BodyReader } from './types.js';

/** Where body bytes come from: the connection's input buffer, refilled on demand. */
export type BodySource = {
  readonly input: DynBuf;
  /** Reads more bytes into `input`; false at EOF. Rejects on timeout or failure. */
  fill(): Promise<boolean>;
};

/** A request body as the connection loop sees it. */
export type RequestBody = BodyReader & {
  /** Every byte of the body has been read. */
  readonly finished: boolean;
  /** The body's framing was violated, or reading failed: the connection cannot be reused. */
  readonly broken: boolean;
  /**
   * Why reading failed, once it has: an HTTPError for the client's mistakes
   * (malformed framing 400, too large 413, too slow 408, ended early 400), a
   * NetError when the connection failed. Null while the body is sound.
   */
  readonly failure: unknown;
  /** Trailer fields of a chunked body, once it is finished. */
  readonly trailers: FieldList | null;
  /**
   * Reads and discards the rest of the body, up to `max` bytes. Resolves true
   * if the body is now finished, false if it was too long to drain.
   */
  drain(max: number): Promise<boolean>;
};

const EMPTY = Buffer.alloc(0);
const CRLF = Buffer.from('\r\n');

// chunk-size *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] )
const TCHARS = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";
const QUOTED = '"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"';
const CHUNK_LINE = new RegExp(
  `^([0-9A-Fa-f]+)(?:[ \\t]*;[ \\t]*${TCHARS}+(?:[ \\t]*=[ \\t]*(?:${TCHARS}+|${QUOTED}))?)*$`,
);

const bad = (message: string): HTTPError => new HTTPError(400, message, { close: true });
const tooLarge = (): HTTPError => new HTTPError(413, undefined, { close: true });
const truncated = (): HTTPError => bad('request body ended early');

/** The empty body of a request without one. */
export function noRequestBody(): RequestBody {
  return {
    length: 0,
    finished: true,
    broken: false,
    failure: null,
    trailers: null,
    read: () => Promise.resolve(EMPTY),
    drain: () => Promise.resolve(true),
  };
}

/** A body of exactly `length` bytes (Content-Length). */
export function lengthBody(src: BodySource, length: number, limits: HTTPLimits): RequestBody {
  if (length > limits.maxBodySize) throw tooLarge();
  let remaining = length;
  let failure: unknown = null;
  const read = async (): Promise<Buffer> => {
    if (failure !== null) throw failure;
    if (remaining === 0) return EMPTY;
    const input = src.input;
    if (input.length === 0) {
      try {
        if (!(await src.fill())) throw truncated();
      } catch (err) {
        failure = err;
        throw err;
      }
    }
    const n = Math.min(remaining, input.length);
    remaining -= n;
    return input.take(n);
  };
  return {
    length,
    read,
    get finished() {
      return remaining === 0;
    },
    get broken() {
      return failure !== null;
    },
    get failure() {
      return failure;
    },
    trailers: null,
    drain: async (max) => {
      if (failure !== null || remaining - src.input.length > max) return false;
      try {
        while (remaining > 0) await read();
      } catch {
        return false;
      }
      return true;
    },
  };
}

const enum State {
  Size,
  Data,
  DataEnd,
  Trailer,
  Done,
}

/** A chunked body (RFC 9112 §7.1), decoded as it streams in. */
export function chunkedBody(src: BodySource, limits: HTTPLimits): RequestBody {
  const input = src.input;
  let state = State.Size;
  let remaining = 0; // of the current chunk
  let total = 0;
  let trailerBytes = 0;
  let trailers: FieldList | null = null;
  let failure: unknown = null;
  /** Bytes taken from the input, framing included: what a drain is bounded by. */
  let consumed = 0;

  const more = async (): Promise<void> => {
    if (!(await src.fill())) throw truncated();
  };

  /** Removes the next CRLF-terminated line of at most `max` bytes, or waits for more. */
  const line = async (max: number, tooLong: () => HTTPError): Promise<string> => {
    for (;;) {
      const i = input.indexOf(CRLF);
      if (i >= 0) {
        if (i > max) throw tooLong();
        const s = input.latin1(0, i);
        input.consume(i + 2);
        consumed += i + 2;
        return s;
      }
      if (input.length > max + 1) throw tooLong();
      await more();
    }
  };

  const step = async (): Promise<Buffer> => {
    for (;;) {
      switch (state) {
        case State.Size: {
          const s = await line(limits.maxChunkLine, () => bad('chunk size line too long'));
          const m = CHUNK_LINE.exec(s);
          if (m === null) throw bad('malformed chunk size line');
          const hex = m[1]!.replace(/^0+(?=.)/, '');
          const size = hex.length > 14 ? Infinity : parseInt(hex, 16);
          if (size > Number.MAX_SAFE_INTEGER) throw bad('chunk size too large');
          if (size === 0) {
            state = State.Trailer;
            trailers = new FieldList();
          } else {
            if (total + size > limits.maxBodySize) throw tooLarge();
            remaining = size;
            state = State.Data;
          }
          break;
        }
        case State.Data: {
          if (input.length === 0) await more();
          const n = Math.min(remaining, input.length);
          remaining -= n;
          total += n;
          consumed += n;
          if (remaining === 0) state = State.DataEnd;
          return input.take(n);
        }
        case State.DataEnd: {
          while (input.length < 2) await more();
          if (input.byteAt(0) !== 0x0d || input.byteAt(1) !== 0x0a) throw bad('chunk data not followed by CRLF');
          input.consume(2);
          consumed += 2;
          state = State.Size;
          break;
        }
        case State.Trailer: {
          const budget = limits.maxTrailerSize - trailerBytes;
          const tooBig = (): HTTPError => new HTTPError(431, 'trailer section too large', { close: true });
          const s = await line(budget, tooBig);
          trailerBytes += s.length + 2;
          if (s.length === 0) {
            state = State.Done;
            return EMPTY;
          }
          if (trailers!.length >= limits.maxHeaderCount) throw tooBig();
          const name = parseFieldLine(s, trailers!);
          if (isForbiddenTrailer(name)) throw bad(`${name} is not allowed in a trailer section`);
          break;
        }
        case State.Done:
          return EMPTY;
      }
    }
  };

  const read = async (): Promise<Buffer> => {
    if (failure !== null) throw failure;
    try {
      return await step();
    } catch (err) {
      failure = err;
      throw err;
    }
  };

  return {
    length: -1,
    read,
    get finished() {
      return state === State.Done;
    },
    get broken() {
      return failure !== null;
    },
    get failure() {
      return failure;
    },
    get trailers() {
      return state === State.Done ? trailers : null;
    },
    drain: async (max) => {
      // Chunk lines count: extensions could otherwise carry any amount past `max`.
      const from = consumed;
      try {
        while (state !== State.Done) {
          await read();
          if (consumed - from > max) return false;
        }
      } catch {
        return false;
      }
      return true;
    },
  };
}

/**
 * Fields a trailer section must not carry (RFC 9110 §6.5.1): those needed
 * before the content can be processed, which a recipient that merged
 * trailers into the header section would otherwise act on too late or
 * twice: framing, routing, authentication, request modifiers, content
 * metadata (every Content-*).
 */
const FORBIDDEN_TRAILERS = new Set([
  'transfer-encoding',
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'max-forwards',
  'authorization',
  'proxy-authorization',
  'cookie',
  'cache-control',
  'pragma',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
]);

const isForbiddenTrailer = (name: string): boolean => name.startsWith('content-') || FORBIDDEN_TRAILERS.has(name);
