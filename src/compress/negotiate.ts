/**
 * Accept-Encoding negotiation (RFC 9110 §12.5.3): which content coding, if
 * any, a response should use for this client.
 */
import { parseWeightedList } from '../http/fields.js';

/** A content coding weft can apply (RFC 9110 §8.4.1; "br" is RFC 7932). */
export type Coding = 'br' | 'gzip' | 'deflate';

/** What negotiation can answer: a coding, no coding, or nothing acceptable (406). */
export type EncodingChoice = Coding | 'identity' | null;

/**
 * A parsed Accept-Encoding: the q-value of every coding listed, of "*" when
 * listed, and of "identity" when listed. An absent entry is `undefined`.
 */
export type AcceptedEncodings = {
  /** Listed codings (lower-cased) and their q-values; "identity" and "*" excluded. */
  readonly codings: ReadonlyMap<string, number>;
  /** q of "*": covers every coding not listed. */
  readonly any: number | undefined;
  /** q of an explicit "identity". */
  readonly identity: number | undefined;
};

/**
 * Parses an Accept-Encoding field value. Codings are case-insensitive and
 * invalid elements (a bad qvalue such as `q=2` or `q=0.5555`) are ignored.
 * A coding listed twice keeps its lowest q-value: the field is ambiguous
 * then, and the cautious reading never sends what the client refused once.
 * `x-gzip` counts as `gzip` (RFC 9110 §8.4.1.3) unless `gzip` is listed.
 */
export function parseAcceptEncoding(value: string): AcceptedEncodings {
  const codings = new Map<string, number>();
  let any: number | undefined;
  let identity: number | undefined;
  let xgzip: number | undefined;
  for (const { value: coding, q } of parseWeightedList(value)) {
    if (coding === '*') any = min(any, q);
    else if (coding === 'identity') identity = min(identity, q);
    else if (coding === 'x-gzip') xgzip = min(xgzip, q);
    else codings.set(coding, min(codings.get(coding), q));
  }
  if (xgzip !== undefined && !codings.has('gzip')) codings.set('gzip', xgzip);
  return { codings, any, identity };
}

const min = (a: number | undefined, b: number): number => (a === undefined ? b : Math.min(a, b));

/** Nothing listed: what an absent or empty Accept-Encoding amounts to. */
const IDENTITY_ONLY: AcceptedEncodings = { codings: new Map(), any: undefined, identity: undefined };

/**
 * The client's q-value for a coding: its own entry, else that of "*", else 0
 * (RFC 9110 §12.5.3: a coding not listed and not covered by "*" is not
 * acceptable).
 */
export function codingQuality(accepted: AcceptedEncodings, coding: string): number {
  return accepted.codings.get(coding) ?? accepted.any ?? 0;
}

/**
 * Whether the client takes an unencoded response: yes unless it says
 * `identity;q=0`, or `*;q=0` without an entry for identity (RFC 9110 §12.5.3).
 */
export function identityAcceptable(accepted: AcceptedEncodings): boolean {
  return (accepted.identity ?? accepted.any ?? 1) > 0;
}

/**
 * Picks the content coding for a response.
 *
 * - `acceptEncoding`: the request's Accept-Encoding value; `undefined` when
 *   absent. An absent field allows any coding, but a client that says nothing
 *   gets identity (it may not decode anything); an empty value means identity.
 * - `available`: the codings this response can be sent in, in server
 *   preference order; the order breaks ties between equal q-values.
 *
 * Returns the acceptable coding with the highest q-value; `'identity'` when
 * no coding is acceptable (or `available` is empty) and identity is; `null`
 * when nothing is acceptable, which the caller answers with 406. Identity the
 * client did not list ranks below every coding it did list (it is acceptable
 * "by default", not preferred); an explicit `identity;q=x` competes by q, and
 * loses ties to the codings.
 *
 * @example
 * negotiateEncoding('gzip, br;q=0.9', ['br', 'gzip']) // 'gzip'
 * negotiateEncoding('br;q=0.9, gzip;q=0.9', ['br', 'gzip']) // 'br'
 * negotiateEncoding('identity;q=0', []) // null
 */
export function negotiateEncoding(acceptEncoding: string | undefined, available: readonly Coding[]): EncodingChoice {
  const accepted = acceptEncoding === undefined ? IDENTITY_ONLY : parseAcceptEncoding(acceptEncoding);
  return chooseEncoding(accepted, available);
}

/** negotiateEncoding() for an already parsed field (see parseAcceptEncoding). */
export function chooseEncoding(accepted: AcceptedEncodings, available: readonly Coding[]): EncodingChoice {
  let best: Coding | undefined;
  let bestQ = 0;
  for (const coding of available) {
    const q = codingQuality(accepted, coding);
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  if (best !== undefined && (accepted.identity === undefined || bestQ >= accepted.identity)) return best;
  return identityAcceptable(accepted) ? 'identity' : null;
}
