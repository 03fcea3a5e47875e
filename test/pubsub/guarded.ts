/**
 * Child processes that cannot outlive the test: each runs under a small
 * shell wrapper that holds the read end of a pipe from the test process and
 * kills the child (SIGKILL) when that pipe closes, which it does when the
 * test process exits for any reason, a crash included. The wrapper exits
 * when the child does, so waiting for the wrapper is waiting for the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { ROOT } from '../support.js';

// A background job's stdin is /dev/null unless redirected: hence fd 3.
const WRAPPER = `exec 3<&0
"$@" & p=$!
echo "pid $p"
( read _ <&3; kill -9 $p 2>/dev/null ) & r=$!
wait $p
kill $r 2>/dev/null`;

export type Guarded = {
  wrapper: ChildProcess;
  /** The child's own process id. */
  pid: number;
  /** Everything it wrote to stdout and stderr so far. */
  readonly output: string;
  /** Resolves with the next whole line of output (stdout or stderr) matching `re`, from now on. */
  line(re: RegExp): Promise<string>;
  /** Kills the child (SIGKILL) and waits until it is gone. Safe to call twice. */
  stop(): Promise<void>;
};

/**
 * Starts `command args` under the wrapper; resolves once a line matches
 * `ready` (rejects if the child exits first).
 */
export async function spawnGuarded(command: string, args: string[], ready: RegExp): Promise<Guarded> {
  const wrapper = spawn('sh', ['-c', WRAPPER, 'sh', command, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const lines: string[] = [];
  let pid = 0;
  const watchers: { re: RegExp; from: number; resolve: (l: string) => void }[] = [];
  const scan = (): void => {
    for (const w of watchers.splice(0)) {
      const found = lines.slice(w.from).find((l) => w.re.test(l));
      if (found !== undefined) w.resolve(found);
      else watchers.push(w);
    }
  };
  // stdout and stderr are each split into lines; a line is seen once it is whole.
  const reader = (): ((d: Buffer) => void) => {
    let rest = '';
    return (d) => {
      output += d.toString();
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop()!;
      for (const l of parts) {
        lines.push(l);
        const m = pid === 0 ? /^pid (\d+)$/.exec(l) : null;
        if (m) pid = Number(m[1]);
      }
      scan();
    };
  };
  wrapper.stdout!.on('data', reader());
  wrapper.stderr!.on('data', reader());
  const line = (re: RegExp, from = 0): Promise<string> =>
    new Promise((resolve) => {
      watchers.push({ re, from, resolve });
      scan();
    });
  const exited = once(wrapper, 'exit').then(() => {
    throw new Error(`${command} exited before it was ready:\n${output}`);
  });
  exited.catch(() => {});
  await Promise.race([line(ready), exited]);
  return {
    wrapper,
    pid,
    get output() {
      return output;
    },
    line: (re) => line(re, lines.length),
    stop: async () => {
      if (wrapper.exitCode !== null || wrapper.signalCode !== null) return;
      const gone = once(wrapper, 'exit');
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      wrapper.stdin!.end();
      await gone;
    },
  };
}
