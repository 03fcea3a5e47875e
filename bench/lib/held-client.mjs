/**
 * Load generators that stay up while the benchmark does something else: a
 * client that holds 10,000 idle connections while the server's memory is
 * read, attackers running beside a probe. `startHeldClient` runs a Node
 * script pinned to the load CPU and resolves once it prints `READY {json}`;
 * `finish()` asks it to stop (SIGTERM), waits for its `RESULT {json}` line,
 * and kills it if it overstays. A client that prints READY or RESULT late is
 * killed too: nothing outlives its bound.
 */
import { REPO_ROOT } from './paths.mjs';
import { exitsWithin, killGroup, spawnChild, tail } from './children.mjs';
import { LOAD_CPU, pinned } from './pinning.mjs';

/** How long a held client gets to print RESULT and exit after SIGTERM (ms). */
export const HELD_STOP_GRACE_MS = 10_000;

/**
 * Starts `node script ...args` on the load CPU. Resolves with
 * `{ ready, pid, finish(), kill() }` once it prints READY (within
 * `readyTimeoutMs`); rejects, having killed it, when it exits or stays
 * silent first.
 */
export async function startHeldClient(script, args, { readyTimeoutMs }) {
  const child = spawnChild(pinned(LOAD_CPU, [process.execPath, script, ...args]), { cwd: REPO_ROOT });
  const stderr = tail(child.stderr);
  const lines = lineReader(child.stdout);
  const kill = async () => {
    killGroup(child, 'SIGKILL');
    await child.exited;
  };
  const describe = (what) => `${script} ${what}${stderr.text.trim() ? `\n  stderr: ${stderr.text.trim()}` : ''}`;
  const ready = await lines.next('READY ', readyTimeoutMs);
  if (ready === null) {
    await kill();
    throw new Error(describe(`printed no READY line within ${readyTimeoutMs} ms`));
  }
  return {
    ready,
    pid: child.pid,
    kill,
    /** SIGTERM, then its RESULT object (null if it printed none). */
    async finish() {
      child.kill('SIGTERM');
      const result = await lines.next('RESULT ', HELD_STOP_GRACE_MS);
      if (!(await exitsWithin(child, HELD_STOP_GRACE_MS))) console.warn(`warning: ${script} did not exit; killed`);
      await kill();
      return result;
    },
  };
}

/**
 * The child's stdout as lines; `next(prefix, ms)` resolves with the JSON
 * after the next line starting with `prefix`, or null when stdout ends (the
 * child exited) or `ms` pass first.
 */
function lineReader(stream) {
  const seen = [];
  let wake = null;
  let pending = '';
  let ended = false;
  stream.setEncoding('utf8');
  stream.on('data', (text) => {
    const parts = (pending + text).split('\n');
    pending = parts.pop();
    seen.push(...parts);
    wake?.();
  });
  stream.on('end', () => {
    ended = true;
    wake?.();
  });
  return {
    async next(prefix, ms) {
      const deadline = performance.now() + ms;
      for (;;) {
        while (seen.length > 0) {
          const line = seen.shift();
          if (line.startsWith(prefix)) return JSON.parse(line.slice(prefix.length));
        }
        const left = deadline - performance.now();
        if (ended || left <= 0) return null;
        let timer;
        await new Promise((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, left);
        });
        clearTimeout(timer);
        wake = null;
      }
    },
  };
}
