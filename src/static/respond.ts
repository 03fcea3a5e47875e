/**
 * The response for a representation whose bytes are at hand (an open file or
 * a buffer): preconditions (304/412), Range and If-Range (206/416, single or
 * multipart), HEAD. Everything a file response needs after the file has been
 * found, so any representation (a cached file, a precompressed sidecar) goes
 * through the same conditional and range logic.
 */
import type { FileHandle } from 'node:fs/promises';
import type { FieldList } from '../http/fields.js';
import type { HTTPRes } from '../http/types.js';
import { evaluatePreconditions, ifRangeAllowsRange } from './conditional.js';
import { fileBody, lengthOnlyBody, memoryBody } from './file-body.js';
import { makeBoundary, multipartContentType, multipartPlan, type BodyPlan } from './multipart.js';
import { contentRange, selectRanges, unsatisfiedContentRange, type RangeSelection } from './range.js';
import { NOSNIFF, type Representation } from './representation.js';

/** Where a representation's bytes are: in memory, or in a file open for reading. */
export type ByteSource = { readonly bytes: Buffer } | { readonly fh: FileHandle };

/** The part of a request a file response depends on. */
export type ConditionalRequest = { readonly method: string; readonly headers: FieldList };

const EMPTY_PLAN: BodyPlan = { pieces: [], length: 0 };

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
  let fh: FileHandle | null = 'fh' in source ? source.fh : null;
  try {
    const early = preconditionResponse(req, rep);
    if (early !== null) return early;

    const size = rep.size;
    const selection = rangeSelection(req, rep);
    if (selection.kind === 'unsatisfiable') {
      const headers = { ...NOSNIFF, 'Content-Range': unsatisfiedContentRange(size) };
      return { code: 416, headers, body: lengthOnlyBody(0), compress: false };
    }

    let code = 200;
    let headers = rep.headers;
    let plan = wholePlan(size);
    if (selection.kind === 'ranges') {
      code = 206;
      const ranges = selection.ranges;
      if (ranges.length === 1) {
        const r = ranges[0]!;
        headers = { ...headers, 'Content-Range': contentRange(r, size) };
        plan = { pieces: [r], length: r.end - r.start };
      } else {
        const boundary = makeBoundary();
        headers = { ...headers, 'Content-Type': multipartContentType(boundary) };
        plan = multipartPlan(ranges, size, rep.contentType, boundary);
      }
    } else {
      headers = { ...headers };
    }

    // A 206's Content-Range counts bytes of the identity representation: a
    // compressor must not touch it.
    const compress = code === 206 ? false : undefined;
    if (req.method === 'HEAD') return withCompress({ code, headers, body: lengthOnlyBody(plan.length) }, compress);
    if ('bytes' in source) return withCompress({ code, headers, body: memoryBody(source.bytes, plan) }, compress);
    const body = fileBody(fh!, plan, size, readBufferBytes);
    fh = null; // the reader owns it now
    return withCompress({ code, headers, body }, compress);
  } finally {
    await fh?.close();
  }
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

function withCompress(res: HTTPRes, compress: boolean | undefined): HTTPRes {
  if (compress !== undefined) res.compress = compress;
  return res;
}
