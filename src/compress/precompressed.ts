/**
 * Precompressed sidecar files (`app.js.br`, `app.js.gz` next to `app.js`):
 * the choice among those that exist, and their names. Serving a sidecar costs
 * no CPU per request; the file I/O is the static layer's.
 */
import { DEFAULT_ENCODINGS } from './limits.js';
import { type AcceptedEncodings, type Coding, chooseEncoding, parseAcceptEncoding } from './negotiate.js';

/** The codings a sidecar can have. */
export type SidecarCoding = 'br' | 'gzip';

/** File name suffix of each sidecar coding. */
export const SIDECAR_SUFFIX: Readonly<Record<SidecarCoding, string>> = { br: '.br', gzip: '.gz' };

/** Sidecar codings in the order a static server should look for them. */
export const SIDECAR_CODINGS: readonly SidecarCoding[] = ['br', 'gzip'];

/** The sidecar's path for a file: `sidecarPath('a.js', 'br')` → `a.js.br`. */
export function sidecarPath(path: string, coding: SidecarCoding): string {
  return path + SIDECAR_SUFFIX[coding];
}

/** The coding of a sidecar from its name (`.br` → br, `.gz` → gzip), or undefined. */
export function sidecarCoding(path: string): SidecarCoding | undefined {
  if (path.endsWith('.br')) return 'br';
  if (path.endsWith('.gz')) return 'gzip';
  return undefined;
}

/**
 * Which existing sidecar to send, or undefined when none is acceptable (then
 * fall back to planCompression() for on-the-fly compression or identity).
 * A sidecar the client accepts wins over a coding made on the fly even if
 * the client weighs that one higher: it is free, the other costs CPU.
 *
 * - `acceptEncoding`: the request's Accept-Encoding (undefined when absent:
 *   then no sidecar, like negotiateEncoding).
 * - `existing`: the sidecar codings found on disk, in any order.
 *   Sidecars of codings missing from `preference` are not used.
 * - `preference`: server preference breaking q-value ties. Default
 *   DEFAULT_ENCODINGS (br, gzip, deflate).
 *
 * @example
 * choosePrecompressed('gzip, br', ['gzip', 'br']) // 'br'
 * choosePrecompressed('gzip', ['br']) // undefined
 */
export function choosePrecompressed(
  acceptEncoding: string | undefined | AcceptedEncodings,
  existing: Iterable<SidecarCoding>,
  preference: readonly Coding[] = DEFAULT_ENCODINGS,
): SidecarCoding | undefined {
  if (acceptEncoding === undefined) return undefined;
  const accepted = typeof acceptEncoding === 'string' ? parseAcceptEncoding(acceptEncoding) : acceptEncoding;
  const have = new Set<Coding>(existing);
  const available = preference.filter((c) => have.has(c));
  // 'identity' or null: no sidecar fits (or the client prefers identity by q-value).
  const choice = chooseEncoding(accepted, available);
  return choice === 'br' || choice === 'gzip' ? choice : undefined;
}
