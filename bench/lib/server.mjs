/**
 * Servers under test as pinned child processes. A server is described by a
 * `ServerSpec`; `startServer` runs it on the server CPU and resolves once it
 * accepts connections:
 *
 * - without `spec.port`, the server chooses its port and must print a line
 *   containing `:PORT` on stdout (e.g. `listening on 127.0.0.1:40123`);
 * - with `spec.port` (nginx, which prints nothing), readiness is the first
 *   successful TCP connect to 127.0.0.1:port.
 *
 * @typedef {object} ServerSpec
 * @property {string} name shown in reports
 * @property {string[]} command argv, run from `cwd`
 * @property {string} [cwd] default: the repository root
 * @property {Record<string, string>} [env] added to process.env
 * @property {number} [port] fixed port to poll instead of reading stdout
 * @property {() => void} [cleanup] called once the server has stopped
 */
import { connect } from 'node:net';
import { REPO_ROOT } from './paths.mjs';
import { spawnChild, stopChild, tail } from './children.mjs';
import { SERVER_CPU, pinned } from './pinning.mjs';
import { treeCpuSeconds } from './procstat.mjs';

export { freePort } from './free-port.mjs';

/** How long a server may take to start listening, in milliseconds. */
export const SERVER_READY_TIMEOUT_MS = 10_000;
/** How long a server gets between SIGTERM and SIGKILL, in milliseconds. */
export const SERVER_STOP_GRACE_MS = 3_000;

const PORT_IN_LINE = /:(\d{1,5})\b/;

/**
 * Starts `spec` pinned to the server CPU. Resolves with
 * `{ name, port, readyLine, pid, exited, cpuSeconds(), stop() }` (readyLine:
 * the line that gave the port, for servers that say more in it; `exited`:
 * resolves with `{ code, signal }` when the process ends); rejects (after killing the
 * child) when it exits or stays silent past SERVER_READY_TIMEOUT_MS.
 */
export async function startServer(spec) {
  const child = spawnChild(pinned(SERVER_CPU, spec.command), {
    cwd: spec.cwd ?? REPO_ROOT,
    env: { ...process.env, ...spec.env },
  });
  const stderr = tail(child.stderr);
  let port;
  let readyLine = '';
  try {
    [port, readyLine] = await withTimeout(
      spec.port === undefined ? portFromStdout(child) : portAccepting(child, spec.port).then((p) => [p, '']),
      SERVER_READY_TIMEOUT_MS,
      `${spec.name} did not start listening within ${SERVER_READY_TIMEOUT_MS} ms`,
    );
  } catch (error) {
    await stopChild(child, 0);
    spec.cleanup?.();
    const detail = stderr.text.trim();
    throw new Error(`${error.message}\n  command: ${spec.command.join(' ')}${detail ? `\n  stderr: ${detail}` : ''}`);
  }
  return {
    name: spec.name,
    port,
    readyLine,
    pid: child.pid,
    exited: child.exited,
    cpuSeconds: () => treeCpuSeconds(child.pid),
    async stop() {
      await stopChild(child, SERVER_STOP_GRACE_MS);
      spec.cleanup?.();
    },
  };
}

function portFromStdout(child) {
  return new Promise((resolve, reject) => {
    let pending = '';
    child.stdout.setEncoding('utf8');
    const onData = (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const match = PORT_IN_LINE.exec(line);
        if (match) {
          child.stdout.off('data', onData);
          child.stdout.resume(); // keep draining so the child never blocks on a full pipe
          resolve([Number(match[1]), line]);
          return;
        }
      }
    };
    child.stdout.on('data', onData);
    child.exited.then(({ code, signal, error }) =>
      reject(error ?? new Error(`server exited (code ${code}, signal ${signal}) before printing its port`)),
    );
  });
}

async function portAccepting(child, port) {
  child.stdout.resume();
  let exited = null;
  child.exited.then((how) => {
    exited = how;
  });
  for (;;) {
    if (exited !== null) {
      throw exited.error ?? new Error(`server exited (code ${exited.code}, signal ${exited.signal}) before accepting`);
    }
    if (await accepts(port)) return port;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
