/** Helpers for the static file tests: requests built by hand, bodies read out, temp trees. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FieldList } from '../../src/http/fields.js';
import type { Handler, HTTPReq, HTTPRes } from '../../src/http/types.js';

/** A request as the HTTP layer would build it: `target` split into its still-encoded path and query. */
export function makeReq(method: string, target: string, headers: Record<string, string> | [string, string][] = {}): HTTPReq {
  const fields = new FieldList();
  for (const [k, v] of Array.isArray(headers) ? headers : Object.entries(headers)) fields.add(k, v);
  const q = target.indexOf('?');
  return {
    method,
    target,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q + 1),
    version: '1.1',
    headers: fields,
    authority: 'localhost',
    remoteAddress: '127.0.0.1',
    secure: false,
  };
}

/** The result of a request: status, headers (lower-cased names), the body read to the end. */
export type Answer = { code: number; headers: Record<string, string>; body: Buffer; length: number; res: HTTPRes };

/**
 * Calls the handler and behaves like the HTTP layer: reads the body (unless
 * HEAD/304), checks it against body.length, and closes it exactly once.
 */
export async function call(handler: Handler, method: string, target: string, headers?: Record<string, string> | [string, string][]): Promise<Answer> {
  const res = await handler(makeReq(method, target, headers), { length: 0, read: async () => Buffer.alloc(0) });
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers ?? {})) lower[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  const body = res.body;
  let data = Buffer.alloc(0);
  try {
    if (body !== undefined && method !== 'HEAD' && res.code !== 304) {
      const parts: Buffer[] = [];
      for (;;) {
        const chunk = await body.read();
        if (chunk.length === 0) break;
        parts.push(Buffer.from(chunk)); // copy: readers reuse their buffer
      }
      data = Buffer.concat(parts);
      if (body.length >= 0 && data.length !== body.length) throw new Error(`body is ${data.length} bytes, promised ${body.length}`);
      if (body.bytes !== undefined && !body.bytes.equals(data)) throw new Error('body.bytes differs from what read() gives');
    }
  } finally {
    await body?.close?.();
  }
  return { code: res.code, headers: lower, body: data, length: body?.length ?? 0, res };
}

/** Calls the handler and returns the HTTPError status it throws (or the response code). */
export async function statusOf(handler: Handler, method: string, target: string, headers?: Record<string, string>): Promise<number> {
  try {
    return (await call(handler, method, target, headers)).code;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (typeof status === 'number') return status;
    throw err;
  }
}

/** A fresh temporary directory; remove it with removeTree. */
export function makeTempDir(prefix = 'weft-static-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Open file descriptors of this process (Linux), or -1 where /proc is absent. */
export function openFdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

/** Bytes 0..n-1 with a recognisable pattern, so slices can be compared. */
export function patternBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 0x41 + (i % 26) + (i % 7 === 0 ? 32 : 0);
  return b;
}

/** A time well in the past (ms), so files count as settled and can be cached. */
export const PAST = Date.UTC(2020, 0, 2, 3, 4, 5, 678);

/**
 * Parses a multipart/byteranges body back into its parts (RFC 2046): the
 * fields of each part and its bytes. Throws when the framing is wrong.
 */
export function parseMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; data: Buffer }[] {
  const m = /^multipart\/byteranges; boundary=([0-9A-Za-z'()+_,\-./:=?]{1,70})$/.exec(contentType);
  if (!m) throw new Error(`not a multipart/byteranges type: ${contentType}`);
  const delimiter = Buffer.from(`--${m[1]}`, 'latin1');
  const parts: { headers: Record<string, string>; data: Buffer }[] = [];
  if (!body.subarray(0, delimiter.length).equals(delimiter)) throw new Error('body does not start with the delimiter');
  let pos = delimiter.length;
  for (;;) {
    if (body.subarray(pos, pos + 4).toString('latin1') === '--\r\n') {
      if (pos + 4 !== body.length) throw new Error('bytes after the close delimiter');
      return parts;
    }
    if (body.subarray(pos, pos + 2).toString('latin1') !== '\r\n') throw new Error('delimiter not followed by CRLF');
    pos += 2;
    const headEnd = body.indexOf('\r\n\r\n', pos, 'latin1');
    if (headEnd < 0) throw new Error('part head not terminated');
    const headers: Record<string, string> = {};
    for (const line of body.subarray(pos, headEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const dataStart = headEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), dataStart);
    if (next < 0) throw new Error('part not terminated by a delimiter');
    parts.push({ headers, data: body.subarray(dataStart, next) });
    pos = next + 2 + delimiter.length;
  }
}
