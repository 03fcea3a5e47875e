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
  | { kind: 'glob'; re: RegExp; capture: boolean }
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
  const matchers: SegmentMatcher[] = parts.map((part) => {
    if (part === '') throw new PatternError('a path pattern has no empty segment ("//")');
    if (part === '.' || part === '..') throw new PatternError('a path pattern has no "." or ".." segment');
    if (part === '**') {
      const m: SegmentMatcher = { kind: 'any', capture: !captured };
      captured = true;
      return m;
    }
    if (part.includes('**')) throw new PatternError('"**" is a whole segment ("/assets/**")');
    if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!NAME.test(name)) throw new PatternError(`":${name}" is not a parameter name (letters, digits, "_")`);
      if (names.includes(name)) throw new PatternError(`":${name}" appears twice`);
      names.push(name);
      return { kind: 'param', name };
    }
    if (/[*{}]/.test(part)) {
      const capture = !captured && part.includes('*');
      if (part.includes('*')) captured = true;
      return { kind: 'glob', re: globSegment(part, capture), capture };
    }
    return { kind: 'literal', text: part };
  });

  const match = (segments: readonly string[]): Record<string, string> | null => {
    const params: Record<string, string> = {};
    return matchFrom(matchers, 0, segments, 0, params) ? params : null;
  };
  return { source, names, hasWildcard: captured, match };
}

/** One segment with `*` and `{a,b}` as a RegExp (group 1: the first `*`, with `capture`); literal characters escaped. */
function globSegment(part: string, capture: boolean): RegExp {
  let re = '';
  let i = 0;
  let grouped = !capture;
  while (i < part.length) {
    const c = part[i]!;
    if (c === '*') {
      re += grouped ? '[^/]*' : '([^/]*)';
      grouped = true;
      i++;
    } else if (c === '{') {
      const end = part.indexOf('}', i);
      if (end < 0) throw new PatternError('"{" without its "}"');
      const options = part.slice(i + 1, end).split(',');
      if (options.some((o) => o === '' || /[{*]/.test(o))) throw new PatternError('"{a,b}" holds plain, non-empty alternatives');
      re += `(?:${options.map(escapeRegExp).join('|')})`;
      i = end + 1;
    } else if (c === '}') {
      throw new PatternError('"}" without its "{"');
    } else {
      re += escapeRegExp(c);
      i++;
    }
  }
  return new RegExp(`^${re}$`);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function matchFrom(
  ms: readonly SegmentMatcher[],
  mi: number,
  segs: readonly string[],
  si: number,
  params: Record<string, string>,
): boolean {
  if (mi === ms.length) return si === segs.length;
  const m = ms[mi]!;
  if (m.kind === 'any') {
    // Shortest first; patterns are short, and "**" more than once is rare.
    for (let end = si; end <= segs.length; end++) {
      if (matchFrom(ms, mi + 1, segs, end, params)) {
        if (m.capture) params['*'] = segs.slice(si, end).join('/');
        return true;
      }
    }
    return false;
  }
  const seg = segs[si];
  if (seg === undefined) return false;
  if (m.kind === 'literal' && seg !== m.text) return false;
  const globbed = m.kind === 'glob' ? m.re.exec(seg) : null;
  if (m.kind === 'glob' && globbed === null) return false;
  if (!matchFrom(ms, mi + 1, segs, si + 1, params)) return false;
  if (m.kind === 'param') params[m.name] = seg;
  if (m.kind === 'glob' && m.capture) params['*'] = globbed![1]!;
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
