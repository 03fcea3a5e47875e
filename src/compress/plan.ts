/**
 * The whole decision for one response: does it vary on Accept-Encoding, and
 * which coding does it get (or is it a 406). Pure except for reading the
 * number of live compressors.
 */
import { activeCompressors } from './compress-body.js';
import { type RequestLike, type ResponseLike, codingPermitted, shouldCompress, worthCompressing } from './compressible.js';
import { DEFAULT_ENCODINGS, MAX_ACTIVE_COMPRESSORS } from './limits.js';
import { type EncodingChoice, chooseEncoding, identityAcceptable, parseAcceptEncoding } from './negotiate.js';
import type { CompressionOptions } from './options.js';

export type CompressionPlan = {
  /** The response depends on Accept-Encoding: send `Vary: Accept-Encoding` (see mergeVary). */
  readonly vary: boolean;
  /** The coding to apply; 'identity' sends the body as it is; null: nothing acceptable, answer 406. */
  readonly coding: EncodingChoice;
};

const AS_IS: CompressionPlan = { vary: false, coding: 'identity' };
const VARY_IDENTITY: CompressionPlan = { vary: true, coding: 'identity' };

/**
 * Plans the content coding of a response to `req`:
 * - not a candidate (shouldCompress): as is, no Vary;
 * - 304: no coding, but Vary when the 200 it stands for could have been
 *   compressed (RFC 9110 §15.4.5: a 304 carries the Vary the 200 would);
 *   a 304 without Content-Type is assumed compressible, as a spurious Vary
 *   only costs cache efficiency;
 * - otherwise Vary, and the coding negotiated from Accept-Encoding among
 *   `options.encodings`; identity when the client accepts none of them; null
 *   (406) when it accepts neither them nor identity.
 * Past `options.maxActive` live compressors the plan falls back to identity,
 * unless the client refuses identity: then it gets its coding anyway.
 *
 * For a file, plan with the 200 it would send (code 200, its Content-Type
 * and length) before evaluating conditional requests: the coding decides
 * the ETag (representationETag) those are evaluated against.
 *
 * @example
 * const plan = planCompression(req, { code: 200, headers: { 'content-type': type }, body: { length: size } });
 * if (plan.coding === null) throw new HTTPError(406);
 * const headers = codedHeaders(fileHeaders, plan); // Vary, Content-Encoding, ETag
 */
export function planCompression(req: RequestLike, res: ResponseLike, options: CompressionOptions = {}): CompressionPlan {
  if (res.code === 304) {
    const as200 = { code: 200, headers: res.headers, compress: res.compress };
    const vary = codingPermitted(req, as200) && (res.compress === true || worthCompressing(req, res.headers, options, true));
    return vary ? VARY_IDENTITY : AS_IS;
  }
  if (!shouldCompress(req, res, options)) return AS_IS;
  const field = req.headers.get('accept-encoding');
  // No Accept-Encoding: any coding is allowed, but a client that says nothing may decode nothing.
  if (field === undefined) return VARY_IDENTITY;
  const accepted = parseAcceptEncoding(field);
  let coding = chooseEncoding(accepted, options.encodings ?? DEFAULT_ENCODINGS);
  if (coding !== 'identity' && coding !== null && activeCompressors() >= (options.maxActive ?? MAX_ACTIVE_COMPRESSORS)) {
    if (identityAcceptable(accepted)) coding = 'identity';
  }
  return { vary: true, coding };
}
