/**
 * HTTP Basic authentication (RFC 7617) against password hashes: scrypt from
 * node:crypto, in PHC string form (`$scrypt$ln=14,r=8,p=5$<salt>$<hash>`),
 * made by `hashPassword()` and stored instead of passwords.
 *
 * - Hashes are compared in constant time, and an unknown user costs the same
 *   scrypt as a known one, so timing tells neither.
 * - scrypt is slow on purpose (about 0.1-0.2 s and 16 MiB a check with the
 *   default parameters): checks run at most SCRYPT_CONCURRENCY at a time,
 *   and a credential that passed is remembered (an HMAC of it under a key
 *   of this process, never the password; at most VERIFIED_CACHE_ENTRIES),
 *   since browsers resend it with every request.
 * - A request without valid credentials gets 401 with `WWW-Authenticate`.
 *   The Authorization field never reaches a log: access logs don't print it.
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { HTTPError } from '../http/errors.js';
import type { Handler, HTTPReq } from '../http/types.js';
import { createSemaphore, withPermit } from '../sync/semaphore.js';
import type { Wrapper } from './compose.js';

/** Options of basicAuth(). */
export type BasicAuthOptions = {
  /** User name → hash from hashPassword(). */
  users: Readonly<Record<string, string>>;
  /** Shown by browsers in the login prompt. Default "weft". */
  realm?: string;
};

/** scrypt's cost parameters, as a hash string records them. */
export type ScryptParams = {
  /** log2 of N, the CPU and memory cost (memory is 128·N·r bytes). */
  ln: number;
  /** Block size. */
  r: number;
  /** Parallelization (run one after the other here: p times the CPU, not the memory). */
  p: number;
};

/**
 * scrypt cost parameters of new hashes: OWASP's N=2^14, r=8, p=5 (16 MiB per
 * check). `ln` is log2 of N (the CPU/memory cost), `r` the block size, `p`
 * the parallelization.
 */
export const SCRYPT_DEFAULTS: Readonly<ScryptParams> = { ln: 14, r: 8, p: 5 };
/** scrypt checks running at once (each holds 128·N·r bytes); more wait their turn. */
export const SCRYPT_CONCURRENCY = 2;
/** Credentials remembered as verified, per basicAuth(); the oldest are forgotten first. */
export const VERIFIED_CACHE_ENTRIES = 1000;

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Largest parameters accepted in a stored hash: a typo must not cost gigabytes. */
const MAX = { ln: 20, r: 32, p: 16 };
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

type ParsedHash = ScryptParams & { salt: Buffer; hash: Buffer };

const users = new WeakMap<HTTPReq, string>();
const scryptSlots = createSemaphore(SCRYPT_CONCURRENCY);

/** The user basicAuth() let `req` through as, or undefined. */
export const authUser = (req: HTTPReq): string | undefined => users.get(req);

const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '');

function derive(password: string, salt: Buffer, h: ScryptParams): Promise<Buffer> {
  const N = 2 ** h.ln;
  const options: ScryptOptions = { N, r: h.r, p: h.p, maxmem: 256 * N * h.r + 1024 * 1024 };
  return withPermit(
    scryptSlots,
    () => new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)))),
  );
}

/**
 * A hash of `password` to store instead of it (a new random salt each time).
 *
 * @example
 * const stored = await hashPassword('correct horse battery staple');
 * // '$scrypt$ln=14,r=8,p=5$...$...'
 */
export async function hashPassword(password: string, params: Partial<ScryptParams> = {}): Promise<string> {
  const h = { ...SCRYPT_DEFAULTS, ...params };
  checkParams(h, 'hashPassword');
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, h);
  return `$scrypt$ln=${h.ln},r=${h.r},p=${h.p}$${b64(salt)}$${b64(key)}`;
}

function checkParams(h: ScryptParams, who: string): void {
  const ok = (n: number, max: number) => Number.isInteger(n) && n >= 1 && n <= max;
  if (!ok(h.ln, MAX.ln) || !ok(h.r, MAX.r) || !ok(h.p, MAX.p)) {
    throw new TypeError(`${who}: scrypt parameters out of range (ln 1-${MAX.ln}, r 1-${MAX.r}, p 1-${MAX.p})`);
  }
}

/** The parts of a stored hash, or null when it is not one hashPassword() makes. */
function parseHash(stored: string): ParsedHash | null {
  const m = PHC.exec(stored);
  if (m === null) return null;
  const h = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  try {
    checkParams(h, '');
  } catch {
    return null;
  }
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16) return null;
  return { ...h, salt, hash };
}

/** True when `stored` is a hash hashPassword() could have made. */
export const isPasswordHash = (stored: string): boolean => parseHash(stored) !== null;

/**
 * Checks `password` against a hash from hashPassword(), in constant time.
 * False for a malformed hash.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parseHash(stored);
  if (h === null) return false;
  return matches(password, h);
}

async function matches(password: string, h: ParsedHash): Promise<boolean> {
  const key = await derive(password, h.salt, h);
  return key.length === h.hash.length && timingSafeEqual(key, h.hash);
}

/** Credentials of a Basic Authorization field. */
export type BasicCredentials = {
  /** The user name, before the first ":". */
  user: string;
  /** Everything after it. */
  password: string;
};

/**
 * The user and password of a Basic Authorization field, or null when it is
 * not one (another scheme, bad base64, no ":", control characters).
 *
 * @example parseBasicCredentials(req.headers.get('authorization'))?.user
 */
export function parseBasicCredentials(field: string | undefined): BasicCredentials | null {
  if (field === undefined) return null;
  const m = /^basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(field);
  if (m === null) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0 || /[\x00-\x1f\x7f]/.test(text)) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * The basic-auth wrapper. Throws a TypeError at once for a hash that is not
 * one (so a configuration mistake fails at start, naming the user).
 *
 * @example
 * const users = { admin: await hashPassword(process.env.ADMIN_PASSWORD!) };
 * const app = compose(basicAuth({ users, realm: 'staging' }))(site);
 */
export function basicAuth(options: BasicAuthOptions): Wrapper {
  const realm = options.realm ?? 'weft';
  if (/["\\\x00-\x1f\x7f]/.test(realm)) throw new TypeError('basicAuth: the realm cannot hold quotes, backslashes or controls');
  const table = new Map<string, ParsedHash>();
  for (const [user, stored] of Object.entries(options.users)) {
    const h = parseHash(stored);
    if (h === null) throw new TypeError(`basicAuth: the hash of user ${JSON.stringify(user)} is not one from hashPassword()`);
    table.set(user.normalize('NFC'), h);
  }
  // Checked against when the user is unknown, with the cost of a stored hash,
  // so that an unknown user takes as long as a wrong password.
  const like = table.values().next().value ?? SCRYPT_DEFAULTS;
  const decoy: ParsedHash = { ln: like.ln, r: like.r, p: like.p, salt: randomBytes(SALT_BYTES), hash: randomBytes(KEY_BYTES) };
  const cacheKey = randomBytes(32);
  const verified = new Map<string, string>(); // HMAC of the field → user

  const challenge = (): HTTPError =>
    new HTTPError(401, undefined, { headers: { 'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"` } });

  const check = async (field: string | undefined): Promise<string> => {
    const creds = parseBasicCredentials(field);
    if (creds === null) throw challenge();
    const mac = createHmac('sha256', cacheKey).update(field!).digest('base64');
    const known = verified.get(mac);
    if (known !== undefined) return known;
    const user = creds.user.normalize('NFC');
    const h = table.get(user);
    const ok = await matches(creds.password, h ?? decoy);
    if (!ok || h === undefined) throw challenge();
    if (verified.size >= VERIFIED_CACHE_ENTRIES) verified.delete(verified.keys().next().value!);
    verified.set(mac, user);
    return user;
  };

  return (next: Handler): Handler =>
    async (req, body) => {
      users.set(req, await check(req.headers.get('authorization')));
      return next(req, body);
    };
}
