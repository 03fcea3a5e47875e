/**
 * Reading a whole request body of a given media type: JSON and HTML form
 * fields (application/x-www-form-urlencoded). Each refuses a body of another
 * type with 415 (`anyType: true` accepts any), a content coding with 415, a
 * body over `limit` with 413 and a malformed one with 400. For
 * multipart/form-data (file uploads), see readMultipart().
 */
import { DEFAULT_BUFFERED_BODY_LIMIT, readAll } from '../http/body.js';
import { HTTPError } from '../http/errors.js';
import type { BodyReader, HTTPReq } from '../http/types.js';
import { refuseContentCoding, requestMediaType, requireUtf8 } from './content-type.js';

/** Options of readJSON() and readForm(). */
export type ReadBodyOptions = {
  /** Most bytes read (413 past it). Default 1 MiB (DEFAULT_BUFFERED_BODY_LIMIT). */
  limit?: number;
  /** Read the body whatever its Content-Type says (or without one). Default false: 415. */
  anyType?: boolean;
};

const isJsonType = (type: string): boolean => type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));

/**
 * The request body parsed as JSON. Needs `Content-Type: application/json`
 * (or a `+json` type such as application/merge-patch+json), in UTF-8.
 *
 * @example
 * const todo = await readJSON(req, body, { limit: 64 * 1024 });
 */
export async function readJSON(req: HTTPReq, body: BodyReader, options: ReadBodyOptions = {}): Promise<unknown> {
  refuseContentCoding(req);
  const media = requestMediaType(req);
  if (!options.anyType && (media === null || !isJsonType(media.type))) throw new HTTPError(415, 'expected application/json');
  requireUtf8(media);
  let text = (await readAll(body, options.limit ?? DEFAULT_BUFFERED_BODY_LIMIT)).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // RFC 8259 §8.1: a BOM may be ignored
  try {
    return JSON.parse(text);
  } catch {
    throw new HTTPError(400, 'malformed JSON');
  }
}

/**
 * The fields of an HTML form posted as application/x-www-form-urlencoded.
 *
 * @example
 * const form = await readForm(req, body);
 * const email = form.get('email') ?? '';
 */
export async function readForm(req: HTTPReq, body: BodyReader, options: ReadBodyOptions = {}): Promise<URLSearchParams> {
  refuseContentCoding(req);
  const media = requestMediaType(req);
  if (!options.anyType && media?.type !== 'application/x-www-form-urlencoded') {
    throw new HTTPError(415, 'expected application/x-www-form-urlencoded');
  }
  requireUtf8(media);
  return new URLSearchParams((await readAll(body, options.limit ?? DEFAULT_BUFFERED_BODY_LIMIT)).toString('utf8'));
}
