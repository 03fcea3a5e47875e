/**
 * The invariants a server must return to after an attack: no connection slot,
 * handle, timer or file descriptor left behind. Take a snapshot once the
 * server listens, attack it, destroy the test's own clients, then
 * `await assertWhole(server, before)`.
 *
 * Sockets and descriptors are released a few event-loop turns after the last
 * close, so the check waits for the counts to come back, bounded by
 * `settleMs`, and then compares them: a leak fails with the counts that
 * stayed up.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

export type ResourceSnapshot = {
  /** Open file descriptors of this process. */
  fds: number;
  /** process.getActiveResourcesInfo(), counted by kind (TCPSocketWrap, Timeout, FSReqCallback, ...). */
  resources: Record<string, number>;
};

/** What a server under test exposes for the check. */
export type Checkable = { readonly connections: number; drained(): Promise<void> };

const countFds = (): number => readdirSync('/proc/self/fd').length;

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

export function snapshot(): ResourceSnapshot {
  return { fds: countFds(), resources: countResources() };
}

/** Kinds whose count rose above the snapshot's (node:test's own timers come and go: only sockets, files and timers count). */
function grown(before: ResourceSnapshot, now: ResourceSnapshot): string[] {
  const out: string[] = [];
  if (now.fds > before.fds) out.push(`fds ${before.fds} → ${now.fds}`);
  for (const [kind, n] of Object.entries(now.resources)) {
    const was = before.resources[kind] ?? 0;
    if (n > was) out.push(`${kind} ${was} → ${n}`);
  }
  return out;
}

/** Waits (at most `settleMs`) for the process to hold no more than at `before`; the kinds still above it. */
async function settle(before: ResourceSnapshot, settleMs: number): Promise<string[]> {
  const deadline = Date.now() + settleMs;
  let left = grown(before, snapshot());
  while (left.length > 0 && Date.now() < deadline) {
    await delay(10);
    left = grown(before, snapshot());
  }
  return left;
}

/**
 * Asserts, once every test of the calling file has run, that the process
 * holds no more sockets, servers, timers or descriptors than when the file
 * started: what one test leaks, the file's end still sees. Hooks run in the
 * order they are registered: call it after the file's own after() hooks.
 */
export function assertWholeAfterAll(settleMs = 5000): void {
  const start = snapshot();
  after(async () => {
    const left = await settle(start, settleMs);
    assert.deepEqual(left, [], `left behind by this file's tests: ${left.join(', ')}`);
  });
}

/**
 * Asserts that `server` holds no connection and that the process holds no
 * more sockets, timers, file requests or descriptors than at `before`.
 */
export async function assertWhole(server: Checkable, before: ResourceSnapshot, settleMs = 5000): Promise<void> {
  const deadline = Date.now() + settleMs;
  let timer: NodeJS.Timeout | undefined;
  const bounded = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, settleMs, 'timeout')));
  const outcome = await Promise.race([server.drained().then(() => 'drained' as const), bounded]);
  clearTimeout(timer);
  assert.equal(outcome, 'drained', `server.connections stayed at ${server.connections}`);
  assert.equal(server.connections, 0, 'server.connections is back to 0');
  const left = await settle(before, Math.max(0, deadline - Date.now()));
  assert.deepEqual(left, [], `resources left behind: ${left.join(', ')}`);
}

/**
 * Memory retained after a full collection (needs --expose-gc), in bytes: the
 * JS heap plus the memory behind Buffers, which lives outside it.
 */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
