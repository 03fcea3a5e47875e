/**
 * The request's media type (RFC 9110 §8.3.1), for body readers that accept
 * only some types: `type/subtype` lower-cased, parameters by lower-cased
 * name (values unquoted, case kept).
 */
import { HTTPError } from '../http/errors.js';
import { splitParams, unquote } from '../http/fields.js';
import type { HTTPReq } from '../http/types.js';

/** A parsed Content-Type. */
export type MediaType = {
  /** "type/subtype", lower-cased. */
  readonly type: string;
  /** Parameters by lower-cased name, values unquoted. */
  readonly params: Readonly<Record<string, string>>;
};

const TYPE = /^[!#$%&'*+\-.^_`|~0-9a-z]+\/[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/** The parsed Content-Type, or null when absent or malformed. */
export function requestMediaType(req: HTTPReq): MediaType | null {
  const field = req.headers.get('content-type');
  if (field === undefined) return null;
  const [first, ...rest] = splitParams(field);
  const type = first!.toLowerCase();
  if (!TYPE.test(type)) return null;
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    let value = p.slice(eq + 1).trim();
    if (value.startsWith('"')) {
      const u = unquote(value);
      if (u === null) return null;
      value = u;
    }
    if (!(name in params)) params[name] = value;
  }
  return { type, params };
}

/**
 * Refuses (415) a body in a content coding: the readers here take the bytes
 * as sent, and a gzip request body would parse as garbage (RFC 9110 §15.5.16).
 */
export function refuseContentCoding(req: HTTPReq): void {
  const coding = req.headers.list('content-encoding');
  if (coding.some((c) => c.toLowerCase() !== 'identity')) {
    throw new HTTPError(415, `content coding ${coding.join(', ')} is not supported`);
  }
}

/** 415 unless the charset parameter, when there is one, is UTF-8. */
export function requireUtf8(media: MediaType | null): void {
  const charset = media?.params['charset'];
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') throw new HTTPError(415, `charset ${charset} is not supported; send UTF-8`);
}
