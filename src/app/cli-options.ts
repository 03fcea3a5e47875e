/**
 * The `weft` command's flags: parsed and validated into a typed config, with
 * one clear message per mistake. Pure (no I/O), so it is tested directly.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseRedisUrl } from '../pubsub/redis/url.js';

export type LogMode = 'combined' | 'json' | 'off';

export type CliConfig = {
  /** Directory to serve; null means the bundled demo site. */
  dir: string | null;
  port: number;
  host: string;
  demo: boolean;
  cors: boolean;
  spa: boolean;
  listing: boolean;
  compression: boolean;
  /** Cache-Control max-age for static files (seconds), or null for the default policy. */
  cacheMaxAge: number | null;
  tlsCert: string | null;
  tlsKey: string | null;
  workers: number;
  log: LogMode;
  quiet: boolean;
  /** Adds X-Weft-Pid to responses (to see which worker answered). */
  exposePid: boolean;
  /** redis:// URL of the pub/sub bus (the demo chat across machines); null: IPC between workers, or none. */
  pubsub: string | null;
};

export type CliCommand = { kind: 'serve'; config: CliConfig } | { kind: 'help' } | { kind: 'version' };

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export const HELP = `Usage: weft [dir] [options]

Serves dir (default: the bundled demo site) over HTTP/1.1: static files with
ranges, validators and compression, directory listings, and with --demo the
streaming and WebSocket demo routes.

Options:
  -p, --port <n>          port to listen on (default: $PORT or 8080; 0 = any free port)
  -H, --host <addr>       address to bind (default: 127.0.0.1; 0.0.0.0 for all interfaces)
      --demo              add the demo routes: /echo, /sheep, /ws/echo, /ws/chat
      --cors              allow cross-origin requests (Access-Control-Allow-Origin: *)
      --spa               single-page app: unknown paths serve /index.html
      --no-listing        no directory listings
      --no-compression    never compress responses
      --cache-max-age <s> Cache-Control max-age for static files, in seconds
      --tls-cert <file>   serve HTTPS with this certificate (PEM) ...
      --tls-key <file>    ... and this private key (PEM); SIGHUP reloads both
  -w, --workers <n|auto>  worker processes sharing the port (default: 1)
      --log <format>      access log: combined (default), json or off
  -q, --quiet             print nothing but errors
      --expose-pid        add X-Weft-Pid to every response (debugging workers)
      --pubsub <url>      with --demo: carry the chat room across processes and machines
                          on Redis (redis://[user:pass@]host[:port][/db], rediss:// for TLS);
                          without it, --workers share the room through the primary
  -h, --help              show this help
  -v, --version           show the version
`;

const int = (name: string, value: string, min: number, max: number): number => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new CliError(`--${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return Number(value);
};

/** Parses the command line (without `node weft`). Throws CliError for bad usage. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = {}): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string', short: 'H' },
        demo: { type: 'boolean' },
        cors: { type: 'boolean' },
        spa: { type: 'boolean' },
        // Spelled out rather than allowNegative, which Node 20 before 20.16 lacks.
        'no-listing': { type: 'boolean' },
        'no-compression': { type: 'boolean' },
        'cache-max-age': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        workers: { type: 'string', short: 'w' },
        log: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        'expose-pid': { type: 'boolean' },
        pubsub: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    // parseArgs's own messages are clear; drop its error-code suffix.
    throw new CliError((err as Error).message.replace(/\s*\(\w+\)$/, ''));
  }
  const v = parsed.values;
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  if (parsed.positionals.length > 1) throw new CliError(`one directory at most, got: ${parsed.positionals.join(' ')}`);

  const log = v.log ?? 'combined';
  if (log !== 'combined' && log !== 'json' && log !== 'off') {
    throw new CliError(`--log must be combined, json or off, not "${log}"`);
  }
  const workersText = v.workers ?? '1';
  const workers = workersText === 'auto' ? availableParallelism() : int('workers', workersText, 1, 1024);
  if ((v['tls-cert'] === undefined) !== (v['tls-key'] === undefined)) {
    throw new CliError('--tls-cert and --tls-key go together');
  }
  const pubsub = v.pubsub ?? null;
  if (pubsub !== null) {
    if (!v.demo) throw new CliError('--pubsub carries the demo chat room: use it with --demo');
    try {
      parseRedisUrl(pubsub);
    } catch (err) {
      throw new CliError(`--pubsub: ${(err as Error).message}`);
    }
  }
  const host = v.host ?? '127.0.0.1';
  if (host === '' || /\s/.test(host)) throw new CliError(`--host must be an address, not "${host}"`);

  return {
    kind: 'serve',
    config: {
      dir: parsed.positionals[0] ?? null,
      port: int('port', v.port ?? env.PORT ?? '8080', 0, 65535),
      host,
      demo: v.demo ?? false,
      cors: v.cors ?? false,
      spa: v.spa ?? false,
      listing: !v['no-listing'],
      compression: !v['no-compression'],
      cacheMaxAge: v['cache-max-age'] === undefined ? null : int('cache-max-age', v['cache-max-age'], 0, 2 ** 31 - 1),
      tlsCert: v['tls-cert'] ?? null,
      tlsKey: v['tls-key'] ?? null,
      workers,
      log: v.quiet ? 'off' : log,
      quiet: v.quiet ?? false,
      exposePid: v['expose-pid'] ?? false,
      pubsub,
    },
  };
}
