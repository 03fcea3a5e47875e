/**
 * multipart/byteranges (RFC 9110 §14.6): the layout of a 206 response that
 * carries several ranges. The layout is planned up front, as a list of
 * literal bytes and file ranges, so its exact length is known before any
 * byte is read and the response gets a Content-Length.
 */
import { randomBytes } from 'node:crypto';
import { contentRange, type ByteRange } from './range.js';

/** A piece of a response body: literal bytes, or a range of the representation. */
export type BodyPiece = Buffer | ByteRange;

/** A body to send: its pieces in order and their total length (bytes). */
export type BodyPlan = { readonly pieces: readonly BodyPiece[]; readonly length: number };

/** Random bytes in a boundary: 96 bits, far below RFC 2046's 70-character limit once hex-encoded. */
const BOUNDARY_RANDOM_BYTES = 12;

/** A fresh boundary; random, so no file can be crafted to contain it. */
export function makeBoundary(): string {
  return randomBytes(BOUNDARY_RANDOM_BYTES).toString('hex');
}

/**
 * Plans a multipart/byteranges body (RFC 2046 §5.1.1 framing): each part is
 * a delimiter line, Content-Type and Content-Range fields, a blank line and
 * the range's bytes; the close delimiter ends the body.
 *
 * @example
 * const plan = multipartPlan(ranges, size, 'text/plain; charset=utf-8', makeBoundary());
 * // headers['content-type'] = `multipart/byteranges; boundary=${boundary}`
 */
export function multipartPlan(ranges: readonly ByteRange[], size: number, partType: string, boundary: string): BodyPlan {
  const pieces: BodyPiece[] = [];
  let length = 0;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    // The CRLF before each delimiter after the first belongs to the delimiter (RFC 2046).
    const head = Buffer.from(
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${partType}\r\nContent-Range: ${contentRange(r, size)}\r\n\r\n`,
      'latin1',
    );
    pieces.push(head, r);
    length += head.length + (r.end - r.start);
  }
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  pieces.push(tail);
  length += tail.length;
  return { pieces, length };
}

/** The Content-Type of a multipart/byteranges response. */
export function multipartContentType(boundary: string): string {
  return `multipart/byteranges; boundary=${boundary}`;
}
