/**
 * The response for a representation whose bytes are at hand (a buffer or an
 * open file), in the order RFC 9110 asks: preconditions (304/412), then
 * Range and If-Range (206/416, single or multipart), then the body (none
 * for HEAD). Everything a file response needs after the file has been
 * found, so any representation (a cached file, a precompressed sidecar, a
 * compressed form) goes through the same conditional and range logic.
 *
 * From memory it is synchronous, and a plain GET (no precondition, no
 * Range) skips the evaluation altogether: its answer is the 200.
 */
import type { OpenFile } from './open-file.js';
import { bodyFromBuffer } from '../http/body.js';
import type { FieldList } from '../http/fields.js';
import type { BodyReader, HTTPRes, ResponseHeaders } from '../http/types.js';
import { evaluatePreconditions, ifRangeAllowsRange } from './conditional.js';
import { fileBody, lengthOnlyBody, memoryBody } from './file-body.js';
import { makeBoundary, multipartContentType, multipartPlan, type BodyPlan } from './multipart.js';
import { contentRange, selectRanges, unsatisfiedContentRange, type RangeSelection } from './range.js';
import { NOSNIFF, preparedHeaders, type Representation } from './representation.js';

/** Where a representation's bytes are: in memory, or in a file open for reading. */
export type ByteSource = { readonly bytes: Buffer } | { readonly fh: OpenFile };

/** The part of a request a file response depends on. */
export type ConditionalRequest = { readonly method: string; readonly headers: FieldList };

const EMPTY_PLAN: BodyPlan = { pieces: [], length: 0 };

/** A response to send with `plan` of the representation's bytes as its body. */
type Planned = { readonly code: 200 | 206; readonly headers: ResponseHeaders; readonly plan: BodyPlan };

/**
 * Answers a GET or HEAD for `rep`, whose bytes are in `source`.
 *
 * Ownership: a file handle in `source` belongs to this function from the
 * call on. It goes to the body reader of a 200/206 to a GET; on every other
 * outcome (HEAD, 304, 412, 416, an exception) it is closed before returning.
 * A HEAD response holds no file descriptor.
 */
export async function respondWithRepresentation(
  req: ConditionalRequest,
  rep: Representation,
  source: ByteSource,
  readBufferBytes: number,
): Promise<HTTPRes> {
  let fh: OpenFile | null = 'fh' in source ? source.fh : null;
  try {
    if (fh === null) return respondFromMemory(req, rep, (source as { bytes: Buffer }).bytes);
    const planned = planResponse(req, rep);
    if (!('plan' in planned)) return planned;
    if (req.method === 'HEAD') return withBody(planned, lengthOnlyBody(planned.plan.length));
    const body = fileBody(fh, planned.plan, rep.size, readBufferBytes);
    fh = null; // the reader owns it now
    return withBody(planned, body);
  } finally {
    await fh?.close();
  }
}

/**
 * respondWithRepresentation() for bytes in memory, synchronously. A plain
 * GET gets the 200 with the representation's fields serialised once
 * (HTTPRes.prepared), the bytes sent without a copy of their own.
 */
export function respondFromMemory(req: ConditionalRequest, rep: Representation, bytes: Buffer): HTTPRes {
  if (req.method === 'GET' && !asksConditionally(req.headers)) {
    return { code: 200, headers: { ...rep.headers }, prepared: preparedHeaders(rep), body: bodyFromBuffer(bytes) };
  }
  const planned = planResponse(req, rep);
  if (!('plan' in planned)) return planned;
  return withBody(planned, req.method === 'HEAD' ? lengthOnlyBody(planned.plan.length) : memoryBody(bytes, planned.plan));
}

/**
 * True when the request has a precondition (If-*) or a Range field: only
 * then is there anything to evaluate. One pass over the field names.
 */
function asksConditionally(headers: FieldList): boolean {
  for (const key of headers.keys) {
    if (key === 'range' || (key.charCodeAt(0) === 0x69 /* i */ && key.charCodeAt(1) === 0x66 /* f */ && key.charCodeAt(2) === 0x2d /* - */)) {
      return true;
    }
  }
  return false;
}

/**
 * The preconditions, then the ranges (RFC 9110 §13.2.2, §14.2): the 304,
 * 412 or 416 to send now, or the status, fields and body plan of the
 * response.
 */
function planResponse(req: ConditionalRequest, rep: Representation): HTTPRes | Planned {
  const early = preconditionResponse(req, rep);
  if (early !== null) return early;

  const size = rep.size;
  const selection = rangeSelection(req, rep);
  if (selection.kind === 'unsatisfiable') {
    const headers = { ...NOSNIFF, 'Content-Range': unsatisfiedContentRange(size) };
    return { code: 416, headers, body: lengthOnlyBody(0), compress: false };
  }
  if (selection.kind === 'ignore') return { code: 200, headers: { ...rep.headers }, plan: wholePlan(size) };
  const ranges = selection.ranges;
  if (ranges.length === 1) {
    const r = ranges[0]!;
    return { code: 206, headers: { ...rep.headers, 'Content-Range': contentRange(r, size) }, plan: { pieces: [r], length: r.end - r.start } };
  }
  const boundary = makeBoundary();
  return {
    code: 206,
    headers: { ...rep.headers, 'Content-Type': multipartContentType(boundary) },
    plan: multipartPlan(ranges, size, rep.contentType, boundary),
  };
}

/** The response of a plan, with its body. A 206's Content-Range counts identity bytes: a compressor must not touch it. */
function withBody(planned: Planned, body: BodyReader): HTTPRes {
  const res: HTTPRes = { code: planned.code, headers: planned.headers, body };
  if (planned.code === 206) res.compress = false;
  return res;
}

/** The 304 or 412 that the preconditions call for (RFC 9110 §13.2.2), or null to go on. */
export function preconditionResponse(req: ConditionalRequest, rep: Representation): HTTPRes | null {
  const pre = evaluatePreconditions(req.method, req.headers, rep.validators);
  if (pre === 304) return { code: 304, headers: { ...rep.notModifiedHeaders } };
  if (pre === 412) return { code: 412, headers: { ...NOSNIFF }, body: lengthOnlyBody(0) };
  return null;
}

/** A body of all `size` bytes of a file. */
export function wholePlan(size: number): BodyPlan {
  return size === 0 ? EMPTY_PLAN : { pieces: [{ start: 0, end: size }], length: size };
}

/** RFC 9110 §14.2: Range applies to GET only, and only when If-Range (if any) allows it. */
function rangeSelection(req: ConditionalRequest, rep: Representation): RangeSelection {
  if (req.method !== 'GET') return { kind: 'ignore' };
  const range = req.headers.get('range');
  if (range === undefined || !ifRangeAllowsRange(req.headers, rep.validators)) return { kind: 'ignore' };
  return selectRanges(range, rep.size);
}
