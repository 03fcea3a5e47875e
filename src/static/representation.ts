/**
 * A representation of a file (RFC 9110 §3.2): its size, validators and
 * header fields, computed once from a stat so a cached file answers without
 * rebuilding strings. A coded representation (compressed here, or a
 * precompressed sidecar "app.js.br") is another representation of the same
 * resource: same Content-Type, its own ETag, Content-Encoding and Vary.
 */
import { representationETag, type Coding } from '../compress/index.js';
import { formatHttpDate } from '../http/date.js';
import { prepareHeaders, type PreparedHeaders } from '../http/response.js';
import type { ResponseHeaders } from '../http/types.js';
import type { Validators } from './conditional.js';

/** What a representation needs from a stat (fs.Stats has it all). */
export type FileIdentity = {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
};

export type Representation = {
  /** Length of the representation's data (bytes); -1 for one compressed as it is sent. */
  readonly size: number;
  readonly contentType: string;
  readonly validators: Validators;
  /** Fields of a 200: Content-Type, Accept-Ranges, validators, Cache-Control, extras. Copy before changing. */
  readonly headers: ResponseHeaders;
  /** Fields of a 304 (RFC 9110 §15.4.5): validators, Cache-Control, Vary. Copy before changing. */
  readonly notModifiedHeaders: ResponseHeaders;
  /** `headers` serialised, once a response from memory needed them (preparedHeaders). */
  prepared: PreparedHeaders | undefined;
};

/** Policy shared by every representation a handler serves. */
export type RepresentationPolicy = {
  readonly cacheControl: string;
  readonly etag: boolean;
  readonly lastModified: boolean;
};

/** Sent on every static response: never let a browser sniff a type other than the one we send. */
export const NOSNIFF: Readonly<ResponseHeaders> = { 'X-Content-Type-Options': 'nosniff' };

/**
 * A strong entity-tag from inode, size and mtime (ms), hex: cheap, and
 * changes whenever a file is replaced (new inode) or rewritten (mtime, size).
 * Files are never hashed.
 */
export function fileETag(id: FileIdentity): string {
  return `"${id.ino.toString(16)}-${id.size.toString(16)}-${Math.floor(id.mtimeMs).toString(16)}"`;
}

/** Describes a file, as served without a content coding. */
export function describeFile(id: FileIdentity, contentType: string, policy: RepresentationPolicy): Representation {
  return describe(id, id.size, contentType, policy, policy.etag ? fileETag(id) : undefined, null);
}

/**
 * Describes a content-coded representation of a file: one compressed here
 * (`id` is the file's, `size` that of the compressed bytes, -1 while not
 * known) or a sidecar (`id` and `size` are the sidecar's). Its ETag is the
 * one `id` gives, with the coding inside the quotes (representationETag):
 * never the identity's, since the bytes differ (RFC 9110 §8.8.3).
 * Content-Encoding and Vary are set; Accept-Ranges is left out, since a
 * Range request is answered from the identity bytes, never these.
 */
export function describeCoded(
  id: FileIdentity,
  size: number,
  contentType: string,
  policy: RepresentationPolicy,
  coding: Coding,
): Representation {
  const etag = policy.etag ? representationETag(fileETag(id), coding) : undefined;
  return describe(id, size, contentType, policy, etag, coding);
}

/** `rep` for a resource whose responses vary on Accept-Encoding: Vary on the 200 and the 304. */
export function withVary(rep: Representation): Representation {
  const headers = withField(rep.headers, 'Vary', VARY);
  const notModifiedHeaders = withField(rep.notModifiedHeaders, 'Vary', VARY);
  return { size: rep.size, contentType: rep.contentType, validators: rep.validators, headers, notModifiedHeaders, prepared: undefined };
}

/**
 * A copy of `fields` with one more, built field by field from an empty
 * object: a field added to a spread copy costs V8 a new hidden class each
 * time (ten times slower), this way reuses the same transitions.
 */
function withField(fields: ResponseHeaders, name: string, value: string): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (const key in fields) out[key] = fields[key]!;
  out[name] = value;
  return out;
}

/** The 200 fields of `rep` serialised for HTTPRes.prepared, made on first use: for representations served again and again. */
export function preparedHeaders(rep: Representation): PreparedHeaders {
  return (rep.prepared ??= prepareHeaders(rep.headers));
}

/** Vary of every response of a file that has (or could have) a coded representation. */
const VARY = 'Accept-Encoding';
export const VARY_ACCEPT_ENCODING: Readonly<ResponseHeaders> = { Vary: VARY };

/**
 * The fields of a representation, in the order they are sent, set one by
 * one: spreading several objects into one literal takes V8's slow path, ten
 * times the cost, and a file read from disk is described on every miss.
 * `coding` null is the identity (Accept-Ranges); else Content-Encoding and
 * Vary, which also goes on 304s (RFC 9110 §15.4.5).
 */
function describe(
  id: FileIdentity,
  size: number,
  contentType: string,
  policy: RepresentationPolicy,
  etag: string | undefined,
  coding: Coding | null,
): Representation {
  let lastModified: number | undefined;
  let lastModifiedText: string | undefined;
  if (policy.lastModified) {
    // §8.8.2.1: never a Last-Modified later than now (a clock-skewed mtime).
    lastModified = Math.floor(Math.min(id.mtimeMs, Date.now()) / 1000);
    lastModifiedText = formatHttpDate(lastModified * 1000);
  }
  const headers: ResponseHeaders = { 'Content-Type': contentType };
  const notModifiedHeaders: ResponseHeaders = {};
  if (coding === null) headers['Accept-Ranges'] = 'bytes';
  if (etag !== undefined) headers['ETag'] = notModifiedHeaders['ETag'] = etag;
  if (lastModifiedText !== undefined) headers['Last-Modified'] = notModifiedHeaders['Last-Modified'] = lastModifiedText;
  headers['Cache-Control'] = notModifiedHeaders['Cache-Control'] = policy.cacheControl;
  headers['X-Content-Type-Options'] = notModifiedHeaders['X-Content-Type-Options'] = NOSNIFF['X-Content-Type-Options']!;
  if (coding !== null) {
    headers['Content-Encoding'] = coding;
    headers['Vary'] = notModifiedHeaders['Vary'] = VARY;
  }
  return { size, contentType, validators: { etag, lastModified }, headers, notModifiedHeaders, prepared: undefined };
}
