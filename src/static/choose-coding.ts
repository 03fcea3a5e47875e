/**
 * Which representation of a file a request gets: the identity bytes, a
 * precompressed sidecar, or the file compressed here; and whether responses
 * for the file vary on Accept-Encoding. Pure: the sidecars that exist are
 * found beforehand (sidecars.ts).
 */
import {
  choosePrecompressed,
  planCompression,
  shouldCompress,
  type Coding,
  type RequestLike,
  type ResponseLike,
} from '../compress/index.js';
import { FieldList } from '../http/fields.js';
import type { StaticSettings } from './options.js';
import type { Sidecar } from './sidecars.js';

export type FileCodingChoice =
  /** The file as it is; `vary` when other requests could get a coded representation. */
  | { readonly kind: 'identity'; readonly vary: boolean }
  | { readonly kind: 'sidecar'; readonly sidecar: Sidecar }
  | { readonly kind: 'compress'; readonly coding: Coding }
  /** The client refuses identity and accepts no coding on offer: 406. */
  | { readonly kind: 'unacceptable' };

const IDENTITY: FileCodingChoice = { kind: 'identity', vary: false };
const IDENTITY_VARY: FileCodingChoice = { kind: 'identity', vary: true };
const UNACCEPTABLE: FileCodingChoice = { kind: 'unacceptable' };

/** A request that says nothing: what a file is worth compressing for, whoever asks. */
const ANY_GET: RequestLike = { method: 'GET', headers: new FieldList() };

/** The 200 a file would get, as the compression layer's rules see it. */
function as200(settings: StaticSettings, contentType: string, size: number): ResponseLike {
  return { code: 200, headers: { 'Content-Type': contentType, 'Cache-Control': settings.cacheControl }, body: { length: size } };
}

/**
 * Whether the file may be compressed on the fly for some request:
 * compression on, a compressible type, at least minSize bytes, and no
 * `no-transform` in the handler's Cache-Control.
 */
export function isCompressibleFile(settings: StaticSettings, contentType: string, size: number): boolean {
  const options = settings.compression;
  return options !== null && shouldCompress(ANY_GET, as200(settings, contentType, size), options);
}

/**
 * Chooses for one request, in this order:
 * 1. a file with neither sidecars nor compression on the fly: identity, no Vary;
 * 2. any other file varies on Accept-Encoding, on every response (identity
 *    ones and 304s too, RFC 9110 §12.5.5);
 * 3. a Range request gets identity: its byte positions count identity bytes
 *    (a resumed download), and ranges over coded bytes help nobody;
 * 4. a sidecar the client accepts (choosePrecompressed): it costs no CPU, so
 *    it wins over a coding the client weighs higher;
 * 5. else planCompression(): a coding, identity, or nothing acceptable (406).
 *
 * `compressible` is isCompressibleFile()'s answer for this file.
 */
export function chooseFileCoding(
  req: RequestLike,
  settings: StaticSettings,
  contentType: string,
  size: number,
  compressible: boolean,
  sidecars: readonly Sidecar[],
): FileCodingChoice {
  if (!compressible && sidecars.length === 0) return IDENTITY;
  if (req.headers.has('range')) return IDENTITY_VARY;
  if (sidecars.length > 0) {
    const coding = choosePrecompressed(
      req.headers.get('accept-encoding'),
      sidecars.map((s) => s.coding),
    );
    const sidecar = sidecars.find((s) => s.coding === coding);
    if (sidecar !== undefined) return { kind: 'sidecar', sidecar };
  }
  if (!compressible) return IDENTITY_VARY;
  const plan = planCompression(req, as200(settings, contentType, size), settings.compression!);
  if (plan.coding === null) return UNACCEPTABLE;
  return plan.coding === 'identity' ? IDENTITY_VARY : { kind: 'compress', coding: plan.coding };
}
