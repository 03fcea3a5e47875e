/**
 * bench/soak.mjs's pieces still fit the built package: each soak server
 * starts (weft's from dist/), echoes a body in both framings back to the
 * soak echo client, and on SIGUSR2 reports the connections the hold client
 * keeps open, then none once they are gone. A smoke test of the plumbing;
 * the figures are the benchmark's.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, test } from 'node:test';
import { ROOT } from '../support.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-soak-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Child = { child: ChildProcess; lines: string[]; waitLine: (prefix: string) => Promise<string> };

function run(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let pending = '';
  let wake: (() => void) | null = null;
  let ended = false;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    const parts = (pending + text).split('\n');
    pending = parts.pop()!;
    lines.push(...parts);
    wake?.();
  });
  child.stdout!.on('end', () => {
    ended = true;
    wake?.();
  });
  const waitLine = async (prefix: string): Promise<string> => {
    for (;;) {
      const line = lines.find((l) => l.includes(prefix));
      if (line !== undefined) return line;
      if (ended) throw new Error(`${args.join(' ')} ended without printing "${prefix}"`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return { child, lines, waitLine };
}

async function kill(c: Child): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  const exited = once(c.child, 'exit');
  c.child.kill('SIGKILL');
  await exited;
}

/** A bound on waiting for another process, so that a broken server fails the test instead of hanging it (ms). */
const PATIENCE_MS = 10_000;

/** The server's stats after SIGUSR2 (soak-stats.mjs writes them to the file, then renames it). */
async function stats(server: Child, path: string): Promise<{ connections: number; rss: number }> {
  rmSync(path, { force: true });
  server.child.kill('SIGUSR2');
  for (const deadline = Date.now() + PATIENCE_MS; Date.now() < deadline; ) {
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      await delay(10); // polling a file another process writes: there is nothing to await
    }
  }
  throw new Error('no stats after SIGUSR2');
}

async function result(client: Child): Promise<Record<string, unknown>> {
  const [code] = await once(client.child, 'exit');
  assert.equal(code, 0);
  const line = client.lines.find((l) => l.startsWith('RESULT '));
  assert.ok(line, 'a RESULT line');
  return JSON.parse(line.slice('RESULT '.length));
}

for (const name of ['soak-weft.mjs', 'soak-node.mjs']) {
  test(`${name}: echoes both framings and reports its connections on SIGUSR2`, async () => {
    const statsPath = join(dir, `${name}.json`);
    const server = run(['--expose-gc', join('bench', 'servers', name)], { SOAK_STATS: statsPath, SOAK_OPTIONS: '{"maxConnections":100}' });
    const clients: Child[] = [];
    try {
      const port = /:(\d+)/.exec(await server.waitLine('listening on'))![1]!;
      for (const framing of ['length', 'chunked']) {
        const echo = run([join('bench', 'clients', 'soak-echo.mjs'), '--port', port, '--size', String(3 * 1024 * 1024 + 17), '--framing', framing]);
        clients.push(echo);
        assert.equal((await result(echo)).bytes, 3 * 1024 * 1024 + 17);
      }
      const hold = run([join('bench', 'clients', 'soak-hold.mjs'), '--port', port, '--connections', '3']);
      clients.push(hold);
      assert.deepEqual(JSON.parse((await hold.waitLine('READY ')).slice('READY '.length)), { open: 3, failed: 0 });
      const held = await stats(server, statsPath);
      assert.equal(held.connections, 3);
      assert.ok(held.rss > 0);
      hold.child.kill('SIGTERM');
      assert.deepEqual(await result(hold), { open: 3, failed: 0, closedByServer: 0 });
      // The closes reach the server a moment later.
      let open = held.connections;
      for (const deadline = Date.now() + PATIENCE_MS; open !== 0 && Date.now() < deadline; ) open = (await stats(server, statsPath)).connections;
      assert.equal(open, 0);
    } finally {
      for (const c of clients) await kill(c);
      await kill(server);
    }
  });
}
