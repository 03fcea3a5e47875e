/**
 * Close frames (RFC 6455 §5.5.1, §7.4): which status codes may appear on the
 * wire, and the payload of a close frame we send.
 */
import { MAX_CLOSE_REASON } from './constants.js';

/**
 * True for a code a close frame may carry (§7.4.1-7.4.2): 1000-1003 and
 * 1007-1014 (defined or registered by IANA), and 3000-4999 (libraries,
 * applications). 1004 is reserved; 1005, 1006 and 1015 must never be sent;
 * the rest of 1000-2999 is reserved for future revisions.
 */
export function isValidReceivedCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** Checks a code and reason the application wants to close with. */
export function validateCloseArgs(code: number, reason: string): Buffer {
  if (!Number.isInteger(code) || !isValidReceivedCloseCode(code)) {
    throw new RangeError(`invalid close code ${code}: use 1000-1003, 1007-1014 or 3000-4999`);
  }
  const bytes = Buffer.from(reason, 'utf8');
  if (bytes.length > MAX_CLOSE_REASON) throw new RangeError(`close reason longer than ${MAX_CLOSE_REASON} bytes`);
  return bytes;
}

/** The payload of a close frame: the code (big-endian) then the reason; empty for code 0. */
export function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  if (code === 0) return Buffer.alloc(0);
  const r = typeof reason === 'string' ? Buffer.from(reason, 'utf8') : reason;
  const out = Buffer.allocUnsafe(2 + Math.min(r.length, MAX_CLOSE_REASON));
  out.writeUInt16BE(code, 0);
  r.copy(out, 2, 0, out.length - 2);
  return out;
}
