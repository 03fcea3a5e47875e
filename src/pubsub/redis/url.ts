/**
 * Redis URLs, as other clients accept them:
 * `redis://[[username]:password@]host[:port][/db]`, and `rediss://` for TLS.
 * User name and password are percent-decoded; the port defaults to 6379 and
 * the database to 0.
 */
import { RedisClientError } from './errors.js';

export const DEFAULT_REDIS_PORT = 6379;

/** A parsed Redis URL: where to connect and as whom. */
export type RedisAddress = {
  host: string;
  port: number;
  tls: boolean;
  /** For `AUTH username password` (Redis 6 ACL users); absent: `AUTH password`. */
  username?: string;
  password?: string;
  db: number;
};

const bad = (url: string, why: string): RedisClientError =>
  new RedisClientError('WEFT_REDIS_URL', `${why}: "${redactUrl(url)}" (expected redis://[user:password@]host[:port][/db] or rediss://...)`);

/** Parses a redis:// or rediss:// URL; throws RedisClientError (WEFT_REDIS_URL) with the reason. */
export function parseRedisUrl(url: string): RedisAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad(url, 'not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(url, `the scheme must be redis: or rediss:, not ${u.protocol}`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (host === '') throw bad(url, 'no host');
  const path = u.pathname === '' || u.pathname === '/' ? '0' : u.pathname.slice(1);
  if (!/^\d{1,5}$/.test(path)) throw bad(url, 'the path must be a database number');
  if (u.search !== '' || u.hash !== '') throw bad(url, 'no query or fragment is understood');
  let username: string | undefined;
  let password: string | undefined;
  try {
    if (u.username !== '') username = decodeURIComponent(u.username);
    if (u.password !== '') password = decodeURIComponent(u.password);
  } catch {
    throw bad(url, 'bad percent-encoding in the user or password');
  }
  // "redis://secret@host": a lone user part is the password (AUTH password), as redis-cli reads it.
  if (password === undefined && username !== undefined) {
    password = username;
    username = undefined;
  }
  return {
    host,
    port: u.port === '' ? DEFAULT_REDIS_PORT : Number(u.port),
    tls: u.protocol === 'rediss:',
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db: Number(path),
  };
}

/** The URL with its password replaced by `***`, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/)([^@/]*)@/, (_m, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return `${scheme}${colon < 0 ? '***' : `${auth.slice(0, colon)}:***`}@`;
  });
}

/** `host:port` of an address, for logs. */
export function describeAddress(a: RedisAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${a.tls ? 'rediss' : 'redis'}://${a.username !== undefined ? `${a.username}@` : ''}${host}:${a.port}/${a.db}`;
}
