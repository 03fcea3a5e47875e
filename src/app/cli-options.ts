/**
 * The `weft` command's flags: parsed and validated into settings, with one
 * clear message per mistake. Pure (no I/O), so it is tested directly.
 *
 * Each flag is one entry of FLAGS: its parseArgs type, its line in --help,
 * and how it sets the settings (settings.ts; the config file uses the same
 * names). Flags only set what they were given, so the config file supplies
 * the rest; checks that span flags are in crossChecks().
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { isPasswordHash } from '../kit/basic-auth.js';
import type { Credential, SettingsInput } from './settings.js';
import { pubsubUrlProblem } from './site-bus.js';

/** The command line, understood. */
export type CliCommand =
  | {
      kind: 'serve';
      /** Directory named on the command line (as given), or null. */
      dir: string | null;
      /** --config FILE, or null to look for weft.json in the served directory. */
      configFile: string | null;
      /** --no-config: no config file at all. */
      noConfig: boolean;
      /** What the flags set (and only that). */
      flags: SettingsInput;
    }
  | { kind: 'hash-password' }
  | { kind: 'help'; topic: 'serve' | 'hash-password' }
  | { kind: 'version' };

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

type FlagValue = string | boolean | (string | boolean)[] | undefined;

type Flag = {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in --help ("<n>"). */
  arg?: string;
  /** The --help line(s); "\n" starts a continuation line. */
  help: string;
  /** Sets the settings from the flag's value (given only when the flag is). */
  apply?: (value: never, out: SettingsInput) => void;
};

const int = (name: string, value: string, min: number, max: number): number => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new CliError(`--${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return Number(value);
};

const flag = <T extends string | boolean | string[]>(f: Omit<Flag, 'apply'> & { apply?: (value: T, out: SettingsInput) => void }): Flag =>
  f as Flag;

/** Every flag, in --help order. Spelled-out --no-x flags rather than allowNegative, which Node 20 before 20.16 lacks. */
const FLAGS: Record<string, Flag> = {
  port: flag<string>({ type: 'string', short: 'p', arg: '<n>', help: 'port (default: $PORT or 8080; 0 = any free port)', apply: (v, o) => (o.port = int('port', v, 0, 65535)) }),
  host: flag<string>({
    type: 'string',
    short: 'H',
    arg: '<addr>',
    help: 'address to bind (default: 127.0.0.1; 0.0.0.0 or :: for every interface)',
    apply: (v, o) => {
      if (v === '' || /\s/.test(v)) throw new CliError(`--host must be an address, not "${v}"`);
      o.host = v;
    },
  }),
  open: flag<boolean>({ type: 'boolean', help: 'open the site in the default browser', apply: (v, o) => (o.open = v) }),
  config: flag({ type: 'string', arg: '<file>', help: 'site config file (default: weft.json in the served directory)' }),
  'no-config': flag({ type: 'boolean', help: 'no site config file' }),
  demo: flag<boolean>({ type: 'boolean', help: 'the demo: its site (unless dir is given) and routes /echo, /sheep, /ws/...', apply: (v, o) => (o.demo = v) }),
  'no-listing': flag<boolean>({ type: 'boolean', help: 'no directory listings', apply: (v, o) => (o.listing = !v) }),
  'no-clean-urls': flag<boolean>({ type: 'boolean', help: '/about does not serve about.html', apply: (v, o) => (o.cleanUrls = !v) }),
  spa: flag<boolean>({ type: 'boolean', help: 'single-page app: unknown paths without an extension serve /index.html', apply: (v, o) => (o.spa = v) }),
  cors: flag<boolean>({ type: 'boolean', help: 'allow cross-origin requests from any origin', apply: (v, o) => (o.cors = v) }),
  auth: flag<string[]>({
    type: 'string',
    multiple: true,
    arg: '<user:pass>',
    help: 'require a login (HTTP Basic); pass may be a hash from\n`weft hash-password`; repeat for more users',
    apply: (v, o) => (o.auth = { realm: o.auth?.realm ?? 'weft', users: parseUsers(v) }),
  }),
  'no-compression': flag<boolean>({ type: 'boolean', help: 'never compress responses', apply: (v, o) => (o.compression = !v) }),
  'cache-control': flag<string>({
    type: 'string',
    arg: '<value>',
    help: 'Cache-Control of files (default: no-cache, revalidate each time)',
    apply: (v, o) => {
      if (v === '' || /[\x00-\x1f\x7f]/.test(v)) throw new CliError('--cache-control needs a header value');
      o.cache = { ...o.cache, cacheControl: v };
    },
  }),
  'cache-max-age': flag<string>({
    type: 'string',
    arg: '<s>',
    help: 'Cache-Control: public, max-age=<s> for files',
    apply: (v, o) => (o.cache = { ...o.cache, maxAge: int('cache-max-age', v, 0, 2 ** 31 - 1) }),
  }),
  immutable: flag<boolean>({
    type: 'boolean',
    help: 'files never change at their URL (hashed names): cached a year',
    apply: (v, o) => (o.cache = { ...o.cache, immutable: v }),
  }),
  'tls-cert': flag({ type: 'string', arg: '<file>', help: 'serve HTTPS with this certificate (PEM) ...' }),
  'tls-key': flag({ type: 'string', arg: '<file>', help: '... and this private key (PEM); SIGHUP reloads both' }),
  workers: flag<string>({
    type: 'string',
    short: 'w',
    arg: '<n|auto>',
    help: 'worker processes sharing the port (default: 1)',
    apply: (v, o) => (o.workers = v === 'auto' ? availableParallelism() : int('workers', v, 1, 1024)),
  }),
  pubsub: flag<string>({
    type: 'string',
    arg: '<url>',
    help: 'with --demo: carry the chat room across processes and machines\non Redis (redis://[user:pass@]host[:port][/db], rediss:// for TLS);\nwithout it, --workers share the room through the primary',
    apply: (v, o) => {
      const problem = pubsubUrlProblem(v);
      if (problem !== null) throw new CliError(`--pubsub: ${problem}`);
      o.pubsub = v;
    },
  }),
  log: flag<string>({
    type: 'string',
    arg: '<format>',
    help: 'access log: combined (default), json or off',
    apply: (v, o) => {
      if (v !== 'combined' && v !== 'json' && v !== 'off') throw new CliError(`--log must be combined, json or off, not "${v}"`);
      o.log = v;
    },
  }),
  quiet: flag<boolean>({ type: 'boolean', short: 'q', help: 'print nothing but errors', apply: (v, o) => (o.quiet = v) }),
  'shutdown-timeout': flag<string>({
    type: 'string',
    arg: '<s>',
    help: 'how long shutdown waits for requests in flight (default: 10)',
    apply: (v, o) => (o.shutdownTimeout = int('shutdown-timeout', v, 0, 3600) * 1000),
  }),
  'expose-pid': flag<boolean>({ type: 'boolean', help: 'add X-Weft-Pid to every response (debugging workers)', apply: (v, o) => (o.exposePid = v) }),
  help: flag({ type: 'boolean', short: 'h', help: 'show this help' }),
  version: flag({ type: 'boolean', short: 'v', help: 'show the version' }),
};

/** `user:password` (or `user:<hash>`) values of --auth. */
function parseUsers(values: readonly string[]): Record<string, Credential> {
  const users: Record<string, Credential> = {};
  for (const v of values) {
    const colon = v.indexOf(':');
    // Never echo the value: it holds a password.
    if (colon <= 0 || colon === v.length - 1) throw new CliError('--auth takes user:password (or user:hash from `weft hash-password`)');
    const user = v.slice(0, colon);
    // As a key of a plain object it would set the prototype: the user would vanish.
    if (user === '__proto__') throw new CliError('--auth: "__proto__" cannot be a user name');
    const secret = v.slice(colon + 1);
    users[user] = isPasswordHash(secret) ? { hash: secret } : { password: secret };
  }
  return users;
}

function helpText(): string {
  const lines: string[] = [];
  for (const [name, f] of Object.entries(FLAGS)) {
    const left = `  ${f.short ? `-${f.short}, ` : '    '}--${name}${f.arg ? ` ${f.arg}` : ''}`;
    const [first, ...rest] = f.help.split('\n');
    lines.push(left.length < 26 ? `${left.padEnd(26)}${first}` : `${left}\n${' '.repeat(26)}${first}`);
    for (const r of rest) lines.push(`${' '.repeat(26)}${r}`);
  }
  return lines.join('\n');
}

export const HELP = `Usage: weft [dir] [options]
       weft hash-password     print a password hash for --auth or weft.json

Serves dir (default: the current directory) over HTTP/1.1: static files with
ranges, validators and compression, directory listings, clean URLs, custom
error pages (404.html, 50x.html), and the rules of a site config file
(dir/weft.json: headers, redirects, rewrites and caching per path).
\`weft --demo\` serves the bundled demo site with its streaming and WebSocket
routes. SIGHUP reloads the config file and the TLS certificate.

Options:
${helpText()}
`;

export const HASH_PASSWORD_HELP = `Usage: weft hash-password

Reads a password (typed without echo, or one line of standard input) and
prints its scrypt hash, to use as \`--auth user:<hash>\` or in weft.json:
  { "auth": { "users": { "ann": "<hash>" } } }
`;

/** Parses the command line (without `node weft`). Throws CliError for bad usage. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = {}): CliCommand {
  if (argv[0] === 'hash-password') {
    if (argv.length === 1) return { kind: 'hash-password' };
    if (argv.length === 2 && (argv[1] === '--help' || argv[1] === '-h')) return { kind: 'help', topic: 'hash-password' };
    throw new CliError('hash-password takes no arguments: it reads the password from the terminal or standard input');
  }
  let parsed;
  try {
    const options = Object.fromEntries(
      Object.entries(FLAGS).map(([name, f]) => [
        name,
        { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) },
      ]),
    ) as Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (err) {
    // parseArgs's own messages are clear; drop its error-code suffix.
    throw new CliError((err as Error).message.replace(/\s*\(\w+\)$/, ''));
  }
  const v = parsed.values as Record<string, FlagValue>;
  if (v.help) return { kind: 'help', topic: 'serve' };
  if (v.version) return { kind: 'version' };
  if (parsed.positionals.length > 1) throw new CliError(`one directory at most, got: ${parsed.positionals.join(' ')}`);

  const flags: SettingsInput = {};
  if (v.port === undefined && env.PORT !== undefined && env.PORT !== '') flags.port = int('port', env.PORT, 0, 65535);
  for (const [name, f] of Object.entries(FLAGS)) {
    const value = v[name];
    if (value !== undefined && f.apply !== undefined) f.apply(value as never, flags);
  }
  crossChecks(v, flags);
  if (v.config !== undefined && v['no-config']) throw new CliError('--config and --no-config contradict each other');
  return {
    kind: 'serve',
    dir: parsed.positionals[0] ?? null,
    configFile: (v.config as string | undefined) ?? null,
    noConfig: v['no-config'] === true,
    flags,
  };
}

/** Checks and settings that involve more than one flag. */
function crossChecks(v: Record<string, FlagValue>, flags: SettingsInput): void {
  const cert = v['tls-cert'] as string | undefined;
  const key = v['tls-key'] as string | undefined;
  if ((cert === undefined) !== (key === undefined)) throw new CliError('--tls-cert and --tls-key go together');
  if (cert !== undefined && key !== undefined) flags.tls = { cert, key };
  // The demo is only ever a flag; the config file's pubsub is checked against it in resolveSettings.
  if (flags.pubsub !== undefined && !flags.demo) throw new CliError('--pubsub carries the demo chat room: use it with --demo');
  if (flags.cache?.cacheControl !== undefined && (flags.cache.maxAge !== undefined || flags.cache.immutable)) {
    throw new CliError('--cache-control gives the whole header: not with --cache-max-age or --immutable');
  }
}
