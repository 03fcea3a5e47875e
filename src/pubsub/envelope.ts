/**
 * What the Redis bus puts on a channel: a 10-byte head, then the payload as
 * it was published. Redis carries bytes only, so the head says whether the
 * message was text or binary; and it names the process that published it,
 * so that a process can skip its own messages when Redis echoes them back
 * to its own subscription (its subscribers already had them, at once).
 *
 *   byte 0     0xf7: a weft envelope, format 1
 *   byte 1     0 text (UTF-8), 1 binary
 *   bytes 2-9  origin: 8 random bytes chosen by each bus when it starts
 */
import { randomBytes } from 'node:crypto';

export const ENVELOPE_HEAD = 10;
const MAGIC = 0xf7;
const TEXT = 0;
const BINARY = 1;

export type Origin = { id: Buffer; text: Buffer; binary: Buffer };

/** A new origin id and the two heads messages from it start with. */
export function newOrigin(): Origin {
  const id = randomBytes(8);
  const head = (kind: number): Buffer => Buffer.concat([Buffer.from([MAGIC, kind]), id]);
  return { id, text: head(TEXT), binary: head(BINARY) };
}

/**
 * The message inside `payload`: a string for text, a view for binary; null
 * when it is our own (from `origin`) or not a weft envelope at all.
 */
export function openEnvelope(payload: Buffer, origin: Origin): string | Buffer | null {
  if (payload.length < ENVELOPE_HEAD || payload[0] !== MAGIC) return null;
  if (payload.compare(origin.id, 0, 8, 2, ENVELOPE_HEAD) === 0) return null;
  const kind = payload[1];
  if (kind === TEXT) return payload.toString('utf8', ENVELOPE_HEAD);
  if (kind === BINARY) return payload.subarray(ENVELOPE_HEAD);
  return null;
}
