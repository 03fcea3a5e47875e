/**
 * A real `redis-server` for tests: started on a free port on 127.0.0.1 with
 * persistence off, stopped by `stop()`. A small shell wrapper holds the
 * test process's end of a pipe, so that Redis is killed even if the test
 * process dies without stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { hasCommands } from '../support.js';

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

// Redis runs in the background; the subshell kills it when the pipe from the
// test closes (the test process is gone); the wrapper exits when Redis does.
// (A background job's stdin is /dev/null unless redirected: hence fd 3.)
const WRAPPER = `exec 3<&0
redis-server "$@" & p=$!
echo "pid $p"
( read _ <&3; kill -9 $p 2>/dev/null ) & r=$!
wait $p
kill $r 2>/dev/null`;

async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

type Running = { wrapper: ChildProcess; pid: number };

/** With TLS: Redis speaks only TLS, on the port (no client certificates asked for). */
export type RedisTls = { certFile: string; keyFile: string };

async function launch(port: number, args: string[], tls?: RedisTls): Promise<Running> {
  const ports = tls === undefined
    ? ['--port', String(port)]
    : ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile,
        '--tls-ca-cert-file', tls.certFile, '--tls-auth-clients', 'no'];
  let out = '';
  const wrapper = spawn('sh', ['-c', WRAPPER, 'sh', ...ports, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', tmpdir(), '--logfile', '', '--daemonize', 'no', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  wrapper.stderr!.on('data', (d: Buffer) => (out += d.toString())); // the shell's "Killed" notes, Redis's complaints
  let pid = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /^pid (\d+)$/m.exec(out);
      if (m) pid = Number(m[1]);
      if (pid !== 0 && out.includes('Ready to accept connections')) {
        wrapper.stdout!.off('data', onData);
        wrapper.stdout!.resume(); // keep draining its log
        wrapper.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (): void => reject(new Error(`redis-server did not start:\n${out}`));
    wrapper.stdout!.on('data', onData);
    wrapper.once('exit', onExit);
  });
  return { wrapper, pid };
}

async function end(r: Running | null): Promise<void> {
  if (r === null || r.wrapper.exitCode !== null || r.wrapper.signalCode !== null) return;
  const exited = once(r.wrapper, 'exit');
  try {
    process.kill(r.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  r.wrapper.stdin!.end();
  await exited;
}

/** Starts a redis-server; `args` are more of its options (`--requirepass`, ...). */
export async function startRedis(args: string[] = [], tls?: RedisTls): Promise<RedisServer> {
  const port = await freePort();
  let running: Running | null = await launch(port, args, tls);
  return {
    port,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    get pid() {
      return running?.pid ?? 0;
    },
    async kill() {
      await end(running);
    },
    async restart() {
      await end(running);
      running = await launch(port, args, tls);
    },
    async stop() {
      await end(running);
      running = null;
    },
  };
}
