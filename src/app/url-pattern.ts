/**
 * The path patterns of a site config file's rules (headers, cache,
 * redirects, rewrites), matched against a request path's decoded segments
 * (after dot segments are resolved, so "/a/../admin" is "/admin"):
 *
 * - `**` (a whole segment): any number of segments, none included;
 * - `*` within a segment: any run of characters but "/" (`*.js`, `v*`);
 * - `{a,b}` within a segment: one of the alternatives (`*.{css,js}`);
 * - `:name` (a whole segment): exactly one segment, captured as `name`;
 * - anything else: itself, compared exactly (case-sensitive).
 *
 * A destination (a redirect's or a rewrite's) uses `:name` for a captured
 * segment and `*` for what the source's first wildcard matched, each
 * percent-encoded again: `/blog/:slug` → `/posts/:slug`, `/docs/**` →
 * `https://docs.example/*`.
 */
import { encodePathSegment } from '../static/request-path.js';

export type UrlPattern = {
  readonly source: string;
  /** Names of the `:name` segments, in order. */
  readonly names: readonly string[];
  /** Has a `*` or `**` whose match a destination's `*` can use. */
  readonly hasWildcard: boolean;
  /** The captures when `segments` match (`*` holds the first wildcard's match), else null. */
  match(segments: readonly string[]): Record<string, string> | null;
};

export class PatternError extends Error {}

type SegmentMatcher =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string }
  | { kind: 'glob'; glob: SegmentGlob }
  | { kind: 'any'; capture: boolean };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Compiles a pattern; throws PatternError naming what is wrong with it. */
export function compilePattern(source: string): UrlPattern {
  if (!source.startsWith('/')) throw new PatternError('a path pattern starts with "/"');
  if (/[\s?#\x00-\x1f\x7f]/.test(source)) throw new PatternError('a path pattern has no spaces, "?", "#" or control characters');
  const parts = source.split('/').slice(1);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop(); // "/docs/" is "/docs"
  const names: string[] = [];
  let captured = false;
  let anys = 0;
  const matchers: SegmentMatcher[] = parts.map((part) => {
    if (part === '') throw new PatternError('a path pattern has no empty segment ("//")');
    if (part === '.' || part === '..') throw new PatternError('a path pattern has no "." or ".." segment');
    if (part === '**') {
      anys++;
      const m: SegmentMatcher = { kind: 'any', capture: !captured };
      captured = true;
      return m;
    }
    if (part.includes('**')) throw new PatternError('"**" is a whole segment ("/assets/**")');
    if (part.startsWith(':')) {
      const name = part.slice(1);
      // "__proto__" cannot be a key of the captures' plain object: its segment would be lost.
      if (!NAME.test(name) || name === '__proto__') throw new PatternError(`":${name}" is not a parameter name (letters, digits, "_")`);
      if (names.includes(name)) throw new PatternError(`":${name}" appears twice`);
      names.push(name);
      return { kind: 'param', name };
    }
    if (/[*{}]/.test(part)) {
      const capture = !captured && part.includes('*');
      if (part.includes('*')) captured = true;
      return { kind: 'glob', glob: compileGlob(part, capture) };
    }
    return { kind: 'literal', text: part };
  });

  const match = (segments: readonly string[]): Record<string, string> | null => {
    const params: Record<string, string> = {};
    // With one "**" the search never comes back to it; with more it can, and must not redo work.
    const failedFrom = anys > 1 ? new Array<number>(matchers.length).fill(Infinity) : null;
    return matchFrom(matchers, 0, segments, 0, params, failedFrom) ? params : null;
  };
  return { source, names, hasWildcard: captured, match };
}

/** Most ways one segment's "{a,b}" choices may combine. */
const MAX_EXPANSIONS = 256;

/**
 * One segment with `*` and `{a,b}`, matched without a RegExp: a RegExp of
 * three `*`s backtracks through every split of a hostile segment (seconds
 * for one request). Each way to read the choices is kept as the literal
 * parts between the `*`s, in order of preference.
 */
type SegmentGlob = {
  /** `parts`: literals around the `*`s; `group`: which choices were made before the first `*`. */
  readonly expansions: readonly { readonly parts: readonly string[]; readonly group: number }[];
  /** The segment holds the pattern's first wildcard: its match is captured. */
  readonly capture: boolean;
};

function compileGlob(part: string, capture: boolean): SegmentGlob {
  let expansions: { parts: string[]; group: number }[] = [{ parts: [''], group: 0 }];
  let starSeen = false;
  let i = 0;
  while (i < part.length) {
    const c = part[i]!;
    if (c === '*') {
      for (const e of expansions) e.parts.push('');
      starSeen = true;
      i++;
    } else if (c === '{') {
      const end = part.indexOf('}', i);
      if (end < 0) throw new PatternError('"{" without its "}"');
      const options = part.slice(i + 1, end).split(',');
      if (options.some((o) => o === '' || /[{*]/.test(o))) throw new PatternError('"{a,b}" holds plain, non-empty alternatives');
      if (expansions.length * options.length > MAX_EXPANSIONS) throw new PatternError(`more than ${MAX_EXPANSIONS} combinations of "{a,b}" in one segment`);
      // Earlier choices vary slowest: the order a RegExp's alternations are tried in.
      expansions = expansions.flatMap((e) =>
        options.map((o, k) => ({
          parts: [...e.parts.slice(0, -1), e.parts.at(-1)! + o],
          group: starSeen ? e.group : e.group * options.length + k,
        })),
      );
      i = end + 1;
    } else if (c === '}') {
      throw new PatternError('"}" without its "{"');
    } else {
      for (const e of expansions) e.parts[e.parts.length - 1] += c;
      i++;
    }
  }
  return { expansions, capture };
}

/**
 * What the segment's first `*` matches ("" when it is not captured), or
 * null when `seg` does not match: the first choices before the `*` that
 * match, then the longest match of the `*`, as a RegExp would pick.
 */
function matchGlob(g: SegmentGlob, seg: string): string | null {
  let group = -1;
  let best: string | null = null;
  for (const e of g.expansions) {
    if (e.group !== group) {
      if (best !== null) return best;
      group = e.group;
    }
    const star = firstStar(e.parts, seg);
    if (star === null) continue;
    if (!g.capture) return '';
    if (best === null || star.length > best.length) best = star;
  }
  return best;
}

/**
 * The longest match of the first `*` when `s` is `parts` joined by `*`s,
 * else null. The literals between the `*`s are placed from the right, each
 * as far right as the ones after it allow: `s` matches when they all fit,
 * and the first `*` then has all the room left (linear in `s`).
 */
function firstStar(parts: readonly string[], s: string): string | null {
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (parts.length === 1) return s === first ? '' : null;
  if (s.length < first.length + last.length || !s.startsWith(first) || !s.endsWith(last)) return null;
  let bound = s.length - last.length;
  for (let j = parts.length - 2; j >= 1; j--) {
    const p = parts[j]!;
    const at = bound - p.length < first.length ? -1 : s.lastIndexOf(p, bound - p.length);
    if (at < first.length) return null;
    bound = at;
  }
  return s.slice(first.length, bound);
}

/**
 * Whether `ms[mi..]` matches `segs[si..]`; the captures are written on the
 * way back from a match only. `failedFrom[mi]`, for a "**" at `mi`: the
 * smallest `si` it is known to fail from. It then fails from every later
 * one too (it could only try fewer ends), so each end is tried once per
 * "**": linear in the segments, where plain backtracking is a power of
 * them (two "**" around a literal, against 4,000 segments of that
 * literal: 16 million steps for one request).
 */
function matchFrom(
  ms: readonly SegmentMatcher[],
  mi: number,
  segs: readonly string[],
  si: number,
  params: Record<string, string>,
  failedFrom: number[] | null,
): boolean {
  if (mi === ms.length) return si === segs.length;
  const m = ms[mi]!;
  if (m.kind === 'any') {
    // Shortest first.
    const last = Math.min(segs.length, (failedFrom?.[mi] ?? Infinity) - 1);
    for (let end = si; end <= last; end++) {
      if (matchFrom(ms, mi + 1, segs, end, params, failedFrom)) {
        if (m.capture) params['*'] = segs.slice(si, end).join('/');
        return true;
      }
    }
    if (failedFrom !== null) failedFrom[mi] = Math.min(failedFrom[mi]!, si);
    return false;
  }
  const seg = segs[si];
  if (seg === undefined) return false;
  if (m.kind === 'literal' && seg !== m.text) return false;
  const globbed = m.kind === 'glob' ? matchGlob(m.glob, seg) : null;
  if (m.kind === 'glob' && globbed === null) return false;
  if (!matchFrom(ms, mi + 1, segs, si + 1, params, failedFrom)) return false;
  if (m.kind === 'param') params[m.name] = seg;
  if (m.kind === 'glob' && m.glob.capture) params['*'] = globbed!;
  return true;
}

/**
 * Checks that `destination` uses only what `pattern` captures; throws
 * PatternError otherwise. `absoluteAllowed`: an http(s) URL is accepted
 * (redirects), else it must be a path (rewrites).
 */
export function checkDestination(destination: string, pattern: UrlPattern, absoluteAllowed: boolean): void {
  if (/[\s\x00-\x1f\x7f]/.test(destination)) throw new PatternError('a destination has no spaces or control characters');
  const absolute = /^https?:\/\/[^/?#]+/i.exec(destination);
  if (absolute !== null && !absoluteAllowed) throw new PatternError('a rewrite goes to a path of this site, not to a URL');
  if (absolute === null && (!destination.startsWith('/') || destination.startsWith('//'))) {
    throw new PatternError(absoluteAllowed ? 'a destination is a path ("/new") or an http(s) URL' : 'a destination is a path ("/app/index.html")');
  }
  const path = pathPart(absolute === null ? destination : destination.slice(absolute[0].length));
  for (const m of path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (!pattern.names.includes(m[1]!)) throw new PatternError(`":${m[1]}" is not a parameter of the source`);
  }
  if (path.includes('*') && !pattern.hasWildcard) throw new PatternError('"*" in the destination needs a "*" or "**" in the source');
}

const pathPart = (s: string): string => s.split(/[?#]/, 1)[0]!;

/**
 * The destination with the captures put in, percent-encoded. The request's
 * query is kept unless the destination has one of its own.
 */
export function fillDestination(destination: string, params: Record<string, string>, query: string): string {
  const q = destination.search(/[?#]/);
  const path = q < 0 ? destination : destination.slice(0, q);
  const rest = q < 0 ? '' : destination.slice(q);
  const filled = path
    .replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => encodePathSegment(params[name] ?? ''))
    .replace(/\*/g, () => (params['*'] ?? '').split('/').map(encodePathSegment).join('/'));
  if (rest !== '' || query === '') return filled + rest;
  return `${filled}?${query}`;
}
