/**
 * What the `weft` command runs with: one typed record, made from its
 * defaults, then a site config file (weft.json), then the command-line
 * flags, each overriding the one before. Flags and the file's keys share
 * their names (`--cache-control` is `cacheControl`); the file adds the
 * rules flags cannot express (headers, redirects, rewrites and cache rules
 * per path, error pages, users).
 */
import type { UrlPattern } from './url-pattern.js';

export type LogMode = 'combined' | 'json' | 'off';

/** Response headers set on paths matching `pattern` (later rules win). */
export type HeaderRule = { readonly pattern: UrlPattern; readonly headers: Readonly<Record<string, string>> };
/** The Cache-Control of successful responses for paths matching `pattern` (the last matching rule wins). */
export type CacheRule = { readonly pattern: UrlPattern; readonly cacheControl: string };
export type RedirectStatus = 301 | 302 | 307 | 308;
export type RedirectRule = { readonly pattern: UrlPattern; readonly destination: string; readonly status: RedirectStatus };
/** Serves `destination` for paths matching `pattern` that name no file (nginx try_files, Caddy try_files). */
export type RewriteRule = { readonly pattern: UrlPattern; readonly destination: string };

/** A user's credential: a hash from `weft hash-password`, or a password given on the command line (hashed at start). */
export type Credential = { readonly hash: string } | { readonly password: string };
export type AuthSettings = { readonly realm: string; readonly users: Readonly<Record<string, Credential>> };

/** How Cache-Control is chosen for files: given whole, or built from max-age and immutable. */
export type CachePolicy = { readonly cacheControl?: string; readonly maxAge?: number; readonly immutable?: boolean };

/**
 * Clean URLs: `/about` serves `about.html`. "redirect" also sends
 * `/about.html` (and `/dir/index.html`) to the clean URL with a 301.
 */
export type CleanUrls = boolean | 'redirect';

export type Settings = {
  /** Directory served (absolute). */
  root: string;
  port: number;
  host: string;
  /** The demo routes (and, without a directory, the demo site). */
  demo: boolean;
  listing: boolean;
  compression: boolean;
  /** Unknown paths without an extension serve /index.html. */
  spa: boolean;
  /** CORS for any origin on every path (per-path CORS: header rules). */
  cors: boolean;
  cleanUrls: CleanUrls;
  cache: CachePolicy;
  /** Status ("404") or class ("4xx") → URL path of the page answering it. */
  errorPages: Readonly<Record<string, string>>;
  headers: readonly HeaderRule[];
  cacheRules: readonly CacheRule[];
  redirects: readonly RedirectRule[];
  rewrites: readonly RewriteRule[];
  auth: AuthSettings | null;
  /** Certificate and key files (absolute), for HTTPS. */
  tls: { readonly cert: string; readonly key: string } | null;
  workers: number;
  log: LogMode;
  quiet: boolean;
  /** Adds X-Weft-Pid to responses (to see which worker answered). */
  exposePid: boolean;
  /** Open the site in a browser once listening. */
  open: boolean;
  /** How long shutdown waits for requests in flight (ms). */
  shutdownTimeout: number;
  /** redis:// URL of the demo chat room's pub/sub bus (across machines); null: IPC between workers, or none. */
  pubsub: string | null;
};

/** What a flag or the config file may set. */
export type SettingsInput = Partial<Settings>;

/** Default Cache-Control of files: caches store them but revalidate every time (their ETags make that cheap). */
export const DEFAULT_CACHE_CONTROL = 'no-cache';
/** max-age given by `immutable` alone (seconds): a year, the most RFC 9111 caches are told to keep anything. */
export const IMMUTABLE_MAX_AGE = 31_536_000;
/** Default of --shutdown-timeout (ms). */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;
/** The site config file looked for in the served directory. */
export const CONFIG_FILE_NAME = 'weft.json';

export const DEFAULT_SETTINGS: Omit<Settings, 'root'> = {
  port: 8080,
  host: '127.0.0.1',
  demo: false,
  listing: true,
  compression: true,
  spa: false,
  cors: false,
  cleanUrls: true,
  cache: {},
  errorPages: {},
  headers: [],
  cacheRules: [],
  redirects: [],
  rewrites: [],
  auth: null,
  tls: null,
  workers: 1,
  log: 'combined',
  quiet: false,
  exposePid: false,
  open: false,
  shutdownTimeout: DEFAULT_SHUTDOWN_TIMEOUT,
  pubsub: null,
};

/** Defaults, then the file's settings, then the flags'. */
export function mergeSettings(root: string, file: SettingsInput, flags: SettingsInput): Settings {
  const merged: Settings = { ...DEFAULT_SETTINGS, root };
  for (const layer of [file, flags]) {
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }
  if (merged.quiet) merged.log = 'off';
  return merged;
}

/** The Cache-Control that a policy gives files. */
export function cacheControlOf(policy: CachePolicy): string {
  if (policy.cacheControl !== undefined) return policy.cacheControl;
  if (policy.maxAge !== undefined) return `public, max-age=${policy.maxAge}${policy.immutable ? ', immutable' : ''}`;
  if (policy.immutable) return `public, max-age=${IMMUTABLE_MAX_AGE}, immutable`;
  return DEFAULT_CACHE_CONTROL;
}
