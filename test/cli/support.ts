/**
 * The built `weft` command as a child process: started with --port 0, its
 * output collected line by line so tests wait for what it prints (never for
 * time), and every process started here killed at the end of the file.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support.js';

export const CLI = join(ROOT, 'dist', 'cli.js');
const execFileP = promisify(execFile);

/** A bound on waiting for a line, so that a broken command fails its test instead of hanging it (ms); never a measure. */
const WAIT_PATIENCE_MS = 30_000;

/** Text a stream has produced so far, and a way to wait for a pattern in it. */
export class Output {
  text = '';
  private waiters: { re: RegExp; from: number; resolve: (m: RegExpExecArray | null) => void }[] = [];
  private ended = false;

  constructor(stream: NodeJS.ReadableStream | null) {
    stream?.setEncoding('utf8');
    stream?.on('data', (d: string) => {
      this.text += d;
      this.waiters = this.waiters.filter((w) => !this.check(w));
    });
    stream?.on('end', () => {
      this.ended = true;
      for (const w of this.waiters) w.resolve(null);
    });
  }

  private check(w: { re: RegExp; from: number; resolve: (m: RegExpExecArray | null) => void }): boolean {
    const m = w.re.exec(this.text.slice(w.from));
    if (m === null) return false;
    w.resolve(m);
    return true;
  }

  /**
   * Resolves with the first match of `re` after offset `from`; rejects if the
   * stream ends first, or after WAIT_PATIENCE_MS, so that a line never
   * printed fails the test (with the output so far) instead of hanging the run.
   */
  async waitFor(re: RegExp, from = 0): Promise<RegExpExecArray> {
    let timer: NodeJS.Timeout | undefined;
    const m = await new Promise<RegExpExecArray | null>((resolve) => {
      const w = { re, from, resolve };
      if (this.check(w)) return;
      if (this.ended) return resolve(null);
      this.waiters.push(w);
      timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(null);
      }, WAIT_PATIENCE_MS);
    });
    clearTimeout(timer);
    if (m === null) throw new Error(`output ${this.ended ? 'ended' : `went ${WAIT_PATIENCE_MS} ms`} without ${re}:\n${this.text}`);
    return m;
  }
}

export type Weft = {
  child: ChildProcess;
  port: number;
  base: string;
  out: Output;
  err: Output;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  stop(): Promise<void>;
};

const running = new Set<ChildProcess>();

export type StartOptions = { cwd?: string; env?: NodeJS.ProcessEnv; port?: boolean };

/** Starts `weft --port 0 ...args` and resolves once it prints its URL. */
export async function startWeft(args: string[], options: StartOptions = {}): Promise<Weft> {
  const argv = options.port === false ? args : ['--port', '0', ...args];
  const child = spawn(process.execPath, [CLI, ...argv], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  void exited.then(() => running.delete(child));
  const out = new Output(child.stdout);
  const err = new Output(child.stderr);
  const m = await Promise.race([
    out.waitFor(/^weft listening on https?:\/\/[^\s]*:(\d+)\//m),
    exited.then(([code]) => {
      throw new Error(`weft exited with ${code} before listening:\n${out.text}${err.text}`);
    }),
  ]);
  const port = Number(m[1]);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  return { child, port, base: `http://127.0.0.1:${port}`, out, err, exited, stop };
}

/** Kills whatever a test left running (pass to after()). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = once(c, 'exit');
      c.kill('SIGKILL');
      await exited;
    }),
  );
}

export type RunResult = { code: number; stdout: string; stderr: string };

/** Runs the command to completion (10 s at most); resolves with its exit code and output. */
export async function runWeft(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  const run = execFileP(process.execPath, [CLI, ...args], { timeout: 10_000, cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env } });
  if (options.input !== undefined) {
    run.child.stdin!.end(options.input);
  }
  try {
    const { stdout, stderr } = await run;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
