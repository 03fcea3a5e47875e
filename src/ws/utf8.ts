/**
 * Incremental UTF-8 validation (RFC 3629) for text messages that arrive in
 * pieces (RFC 6455 §8.1: fail as soon as the bytes cannot be valid UTF-8).
 *
 * A DFA over byte classes carries its state from one piece to the next, so
 * a code point split between two frames or TCP reads is checked exactly once
 * and an invalid byte is caught in the piece where it arrives. Long runs are
 * handed to the native `buffer.isUtf8` once the DFA has brought the state
 * back to a character boundary: the DFA only ever walks the edges.
 */
import { isUtf8 } from 'node:buffer';

/** State at a character boundary: everything so far is valid and complete. */
export const UTF8_ACCEPT = 0;
/** Sink state: the bytes seen cannot be UTF-8. */
export const UTF8_REJECT = 1;

/** Pieces at least this long go to the native validator (bytes, measured). */
const NATIVE_MIN = 64;

// Byte classes. Continuation bytes are split by the ranges that the second
// byte of E0, ED, F0 and F4 sequences is restricted to (overlongs,
// surrogates, code points above U+10FFFF).
const C_ASCII = 0; //    00..7F
const C_CONT_LO = 1; //  80..8F
const C_CONT_MID = 2; // 90..9F
const C_CONT_HI = 3; //  A0..BF
const C_INVALID = 4; //  C0 C1 F5..FF
const C_LEAD2 = 5; //    C2..DF
const C_E0 = 6; //       E0
const C_LEAD3 = 7; //    E1..EC EE EF
const C_ED = 8; //       ED
const C_F0 = 9; //       F0
const C_LEAD4 = 10; //   F1..F3
const C_F4 = 11; //      F4
const CLASSES = 12;

// States besides ACCEPT (0) and REJECT (1).
const S_NEED1 = 2; //     one continuation byte left
const S_NEED2 = 3; //     two left
const S_E0 = 4; //        after E0: A0..BF, then one more
const S_ED = 5; //        after ED: 80..9F, then one more
const S_F0 = 6; //        after F0: 90..BF, then two more
const S_NEED3 = 7; //     after F1..F3: three left
const S_F4 = 8; //        after F4: 80..8F, then two more
const STATES = 9;

const BYTE_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x80; b <= 0x8f; b++) t[b] = C_CONT_LO;
  for (let b = 0x90; b <= 0x9f; b++) t[b] = C_CONT_MID;
  for (let b = 0xa0; b <= 0xbf; b++) t[b] = C_CONT_HI;
  t[0xc0] = t[0xc1] = C_INVALID;
  for (let b = 0xc2; b <= 0xdf; b++) t[b] = C_LEAD2;
  t[0xe0] = C_E0;
  for (let b = 0xe1; b <= 0xef; b++) t[b] = C_LEAD3;
  t[0xed] = C_ED;
  t[0xf0] = C_F0;
  t[0xf1] = t[0xf2] = t[0xf3] = C_LEAD4;
  t[0xf4] = C_F4;
  for (let b = 0xf5; b <= 0xff; b++) t[b] = C_INVALID;
  return t;
})();

/** TRANSITION[state * CLASSES + class] = next state. Unlisted pairs reject. */
const TRANSITION: Uint8Array = (() => {
  const t = new Uint8Array(STATES * CLASSES).fill(UTF8_REJECT);
  const set = (s: number, classes: number[], next: number): void => {
    for (const c of classes) t[s * CLASSES + c] = next;
  };
  const ANY_CONT = [C_CONT_LO, C_CONT_MID, C_CONT_HI];
  set(UTF8_ACCEPT, [C_ASCII], UTF8_ACCEPT);
  set(UTF8_ACCEPT, [C_LEAD2], S_NEED1);
  set(UTF8_ACCEPT, [C_E0], S_E0);
  set(UTF8_ACCEPT, [C_LEAD3], S_NEED2);
  set(UTF8_ACCEPT, [C_ED], S_ED);
  set(UTF8_ACCEPT, [C_F0], S_F0);
  set(UTF8_ACCEPT, [C_LEAD4], S_NEED3);
  set(UTF8_ACCEPT, [C_F4], S_F4);
  set(S_NEED1, ANY_CONT, UTF8_ACCEPT);
  set(S_NEED2, ANY_CONT, S_NEED1);
  set(S_E0, [C_CONT_HI], S_NEED1);
  set(S_ED, [C_CONT_LO, C_CONT_MID], S_NEED1);
  set(S_F0, [C_CONT_MID, C_CONT_HI], S_NEED2);
  set(S_NEED3, ANY_CONT, S_NEED2);
  set(S_F4, [C_CONT_LO], S_NEED2);
  return t;
})();

/** Runs the DFA over buf[from, to). */
function walk(state: number, buf: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i < to) {
    if (state === UTF8_ACCEPT) {
      // ASCII fast path: no table lookups while at a boundary.
      while (i < to && buf[i]! < 0x80) i++;
      if (i === to) break;
    }
    state = TRANSITION[state * CLASSES + BYTE_CLASS[buf[i++]!]!]!;
    if (state === UTF8_REJECT) return UTF8_REJECT;
  }
  return state;
}

/**
 * Feeds `buf` to a validator in `state` (UTF8_ACCEPT for a new message) and
 * returns the new state: UTF8_REJECT as soon as the bytes are invalid,
 * UTF8_ACCEPT if they end on a character boundary, another value while a
 * character is incomplete (which is an error only at the end of the message).
 */
export function validateUtf8(state: number, buf: Uint8Array): number {
  const len = buf.length;
  let i = 0;
  // Finish the character carried over from the previous piece.
  while (state > UTF8_REJECT && i < len) {
    state = TRANSITION[state * CLASSES + BYTE_CLASS[buf[i++]!]!]!;
  }
  if (state === UTF8_REJECT || i === len) return state;
  if (len - i < NATIVE_MIN) return walk(state, buf, i, len);
  // The last character may be cut off: find where it starts (the last byte
  // that is not a continuation byte, within the last four), validate
  // everything before it natively and the rest with the DFA.
  let k = len - 1;
  const stop = Math.max(i, len - 4);
  while (k > stop && (buf[k]! & 0xc0) === 0x80) k--;
  const middle = i === 0 && k === len ? buf : buf.subarray(i, k);
  if (!isUtf8(middle)) return UTF8_REJECT;
  return walk(UTF8_ACCEPT, buf, k, len);
}

/** True if `buf` is complete, valid UTF-8 on its own. */
export function isValidUtf8(buf: Uint8Array): boolean {
  return buf.length >= NATIVE_MIN ? isUtf8(buf) : walk(UTF8_ACCEPT, buf, 0, buf.length) === UTF8_ACCEPT;
}
