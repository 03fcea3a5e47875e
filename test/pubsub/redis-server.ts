/**
 * A real `redis-server` for tests: started on a free port on 127.0.0.1 with
 * persistence off, stopped by `stop()`, and killed with the test process if
 * that dies first (guarded.ts).
 */
import { once } from 'node:events';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { hasCommands } from '../support.js';
import { spawnGuarded, type Guarded } from './guarded.js';

export const hasRedis = hasCommands('redis-server');

export type RedisServer = {
  port: number;
  url: string;
  /** The redis-server process id (changes on restart). */
  readonly pid: number;
  /** Kills Redis at once (SIGKILL: no goodbye to its clients); resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts Redis again on the same port (after kill()). */
  restart(): Promise<void>;
  /** Stops Redis for good. Safe to call twice. */
  stop(): Promise<void>;
};

async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** With TLS: Redis speaks only TLS, on the port (no client certificates asked for). */
export type RedisTls = { certFile: string; keyFile: string };

function launch(port: number, args: string[], tls?: RedisTls): Promise<Guarded> {
  const ports = tls === undefined
    ? ['--port', String(port)]
    : ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile,
        '--tls-ca-cert-file', tls.certFile, '--tls-auth-clients', 'no'];
  return spawnGuarded('redis-server', [...ports, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', tmpdir(), '--logfile', '', '--daemonize', 'no', ...args], /Ready to accept connections/);
}

/** Starts a redis-server; `args` are more of its options (`--requirepass`, ...). */
export async function startRedis(args: string[] = [], tls?: RedisTls): Promise<RedisServer> {
  const port = await freePort();
  let running: Guarded | null = await launch(port, args, tls);
  return {
    port,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    get pid() {
      return running?.pid ?? 0;
    },
    async kill() {
      await running?.stop();
    },
    async restart() {
      await running?.stop();
      running = await launch(port, args, tls);
    },
    async stop() {
      await running?.stop();
      running = null;
    },
  };
}
