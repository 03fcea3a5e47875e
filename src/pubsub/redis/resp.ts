/**
 * RESP2, the Redis serialisation protocol: commands go out as arrays of bulk
 * strings, replies come back as simple strings (`+OK`), errors (`-ERR ...`),
 * integers (`:1`), bulk strings (`$5\r\nhello`, `$-1` for null) and arrays
 * (`*2\r\n...`, `*-1` for null). Every length is given up front, so a
 * parser knows how many bytes a reply needs before it has them (book ch. 5:
 * length-prefixed messages), and payloads are binary-safe.
 *
 * The parser works on the unread bytes as they are (no copy): bulk strings
 * come out as views into them. It is restartable: when a reply is
 * incomplete it says how many bytes it needs at least, so a 1 MiB payload
 * arriving in 64 KiB reads is parsed once, not sixteen times.
 */
import type { BufWriter } from '../../net/bufwriter.js';
import { RedisError, redisProtocol } from './errors.js';

/** A reply: simple string, integer, bulk string (bytes), null, error reply, or array. */
export type RedisValue = string | number | Buffer | null | RedisError | RedisValue[];

/**
 * A command argument: a string (sent as UTF-8), bytes, or one bulk string
 * given in parts (sent concatenated, without joining them first).
 */
export type RespArg = string | Uint8Array | readonly (string | Uint8Array)[];

/** Longest header or simple-string line accepted from a server (bytes, CRLF excluded). */
export const MAX_LINE = 64 * 1024;
/** Largest bulk string accepted from a server by default (bytes; Redis's own limit is 512 MiB). */
export const DEFAULT_MAX_BULK = 64 * 1024 * 1024;
/** Most elements in one array reply. */
export const MAX_ARRAY = 1024 * 1024;
/** Deepest nesting of arrays in a reply. */
const MAX_DEPTH = 16;
/** The shortest reply: a type byte and CRLF (`+\r\n`, an empty simple string). */
const MIN_REPLY = 3;
/** Parts at least this big are written without being copied into the write buffer (bytes). */
export const LARGE_ARG = 16 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const CRLF = '\r\n';

export const INCOMPLETE: unique symbol = Symbol('incomplete');

const partLength = (p: string | Uint8Array): number => (typeof p === 'string' ? Buffer.byteLength(p) : p.length);

/**
 * Appends one command to `w`. Large byte arguments are written straight
 * from the caller's memory (BufWriter.flushWith): the returned promise, if
 * any, resolves once the OS has them, and until then they must not change.
 */
export function writeCommand(w: BufWriter, args: readonly RespArg[]): Promise<void> | undefined {
  let wait: Promise<void> | undefined;
  w.pushLatin1(`*${args.length}${CRLF}`);
  for (const arg of args) {
    const parts = typeof arg === 'string' || arg instanceof Uint8Array ? [arg] : arg;
    let n = 0;
    for (const p of parts) n += partLength(p);
    w.pushLatin1(`$${n}${CRLF}`);
    for (const p of parts) {
      if (typeof p === 'string') w.pushUtf8(p);
      else if (p.length < LARGE_ARG) w.push(p);
      else wait = w.flushWith(p) ?? wait;
    }
    w.pushLatin1(CRLF);
  }
  return wait;
}

/**
 * Parses replies from the front of a buffer. After `parse()` returns a
 * value, `end` is the offset just past it; after INCOMPLETE, `need` is the
 * least number of bytes (from the same start) worth trying again with.
 */
export class ReplyParser {
  end = 0;
  need = 0;
  private readonly maxBulk: number;
  /**
   * Bytes one reply may span: its largest bulk string and a line's worth
   * around it (a pub/sub message). Without it an array of bulk strings, each
   * under maxBulk, could make its reader buffer without end.
   */
  private readonly maxReply: number;

  constructor(maxBulk = DEFAULT_MAX_BULK) {
    this.maxBulk = maxBulk;
    this.maxReply = maxBulk + MAX_LINE;
  }

  /** The first reply in `buf`, or INCOMPLETE. Throws WEFT_REDIS_PROTOCOL for bytes that are not RESP2 or a reply over the limits. */
  parse(buf: Buffer): RedisValue | typeof INCOMPLETE {
    const v = this.value(buf, 0, 0);
    if (v !== INCOMPLETE) this.need = 0;
    else if (this.need > this.maxReply) throw redisProtocol(`a reply longer than ${this.maxReply} bytes`);
    return v;
  }

  private value(buf: Buffer, pos: number, depth: number): RedisValue | typeof INCOMPLETE {
    const eol = this.lineEnd(buf, pos);
    if (eol < 0) return INCOMPLETE;
    const type = buf[pos]!;
    const next = eol + 2;
    switch (type) {
      case 0x2b: // '+'
        this.end = next;
        return buf.toString('utf8', pos + 1, eol);
      case 0x2d: // '-'
        this.end = next;
        return new RedisError(buf.toString('utf8', pos + 1, eol));
      case 0x3a: // ':'
        this.end = next;
        return integer(buf, pos + 1, eol);
      case 0x24: { // '$'
        const n = integer(buf, pos + 1, eol);
        if (n === -1) {
          this.end = next;
          return null;
        }
        if (n < 0) throw redisProtocol(`bad bulk string length ${n}`);
        if (n > this.maxBulk) throw redisProtocol(`a bulk string of ${n} bytes is over the limit of ${this.maxBulk}`);
        const stop = next + n;
        if (buf.length < stop + 2) {
          this.need = stop + 2;
          return INCOMPLETE;
        }
        if (buf[stop] !== CR || buf[stop + 1] !== LF) throw redisProtocol('bulk string not followed by CRLF');
        this.end = stop + 2;
        return buf.subarray(next, stop);
      }
      case 0x2a: { // '*'
        const n = integer(buf, pos + 1, eol);
        if (n === -1) {
          this.end = next;
          return null;
        }
        if (n < 0) throw redisProtocol(`bad array length ${n}`);
        if (n > MAX_ARRAY) throw redisProtocol(`an array of ${n} elements is over the limit of ${MAX_ARRAY}`);
        if (depth >= MAX_DEPTH) throw redisProtocol(`arrays nested deeper than ${MAX_DEPTH}`);
        // Grown as elements parse, not sized from the header: an array that
        // has not arrived is re-parsed on every retry, and its header alone
        // must not cost an allocation of n slots each time.
        const out: RedisValue[] = [];
        let p = next;
        for (let i = 0; i < n; i++) {
          const v = this.value(buf, p, depth + 1);
          if (v === INCOMPLETE) {
            // Every element still to come takes at least MIN_REPLY bytes: do not retry before they can be there.
            this.need += MIN_REPLY * (n - i - 1);
            return INCOMPLETE;
          }
          out.push(v);
          p = this.end;
        }
        this.end = p;
        return out;
      }
      default:
        throw redisProtocol(`unknown reply type byte 0x${type.toString(16).padStart(2, '0')}`);
    }
  }

  /** Index of the CR ending the line that starts at `pos`, or -1 (with `need` set) if it has not all arrived. */
  private lineEnd(buf: Buffer, pos: number): number {
    const cr = buf.indexOf(CR, pos);
    if (cr < 0 || cr + 1 >= buf.length) {
      if (buf.length - pos > MAX_LINE + 2) throw redisProtocol(`a line longer than ${MAX_LINE} bytes`);
      this.need = buf.length + 1;
      return -1;
    }
    if (cr - pos > MAX_LINE + 1) throw redisProtocol(`a line longer than ${MAX_LINE} bytes`);
    if (buf[cr + 1] !== LF) throw redisProtocol('CR not followed by LF');
    if (cr === pos) throw redisProtocol('an empty line where a reply was expected');
    return cr;
  }
}

/** A decimal integer, optionally negative, in buf[from, to). */
function integer(buf: Buffer, from: number, to: number): number {
  let i = from;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  if (i === to || to - i > 19) throw redisProtocol(`bad integer "${buf.toString('latin1', from, to)}"`);
  let n = 0;
  for (; i < to; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) throw redisProtocol(`bad integer "${buf.toString('latin1', from, to)}"`);
    n = n * 10 + d;
  }
  return negative ? -n : n;
}
