/**
 * Child processes that never outlive the benchmark. Every spawn goes through
 * `spawnChild`, which puts the child in its own process group and remembers
 * it until it exits; if the benchmark crashes or is interrupted, the
 * leftovers' groups get SIGKILL so no stray server keeps a core busy and
 * skews the next run. Killing the group, not just the child, also reaches
 * grandchildren: nginx's workers, or wrk under its `sh` wrapper.
 */
import { spawn } from 'node:child_process';

const live = new Set();

/** Sends `signal` to the child's whole process group. */
export function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function killAll() {
  for (const child of live) killGroup(child, 'SIGKILL');
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Spawns `argv[0]` with the remaining arguments; stdout and stderr are pipes
 * (the caller must consume or ignore them), stdin is closed.
 */
export function spawnChild(argv, options = {}) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
  live.add(child);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      live.delete(child);
      resolve({ code: null, signal: null, error });
    });
  });
  return child;
}

/** Resolves true when the child exits within `ms`, false otherwise. */
export function exitsWithin(child, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([child.exited.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/**
 * SIGTERM to the child (which shuts down its own workers, as nginx does),
 * then SIGKILL to its whole group if it is still there after `graceMs`.
 */
export async function stopChild(child, graceMs = 3000) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if (await exitsWithin(child, graceMs)) return;
    if (graceMs > 0) console.warn(`warning: pid ${child.pid} ignored SIGTERM for ${graceMs} ms; sending SIGKILL`);
  }
  killGroup(child, 'SIGKILL');
  await child.exited;
}

/** Keeps the last `max` characters written to a stream, for error messages. */
export function tail(stream, max = 4000) {
  const box = { text: '' };
  stream.setEncoding('utf8');
  stream.on('data', (s) => {
    box.text = (box.text + s).slice(-max);
  });
  return box;
}
