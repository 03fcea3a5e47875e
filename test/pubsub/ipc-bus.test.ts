/**
 * The IPC bus between real cluster workers, through the primary's relay:
 * text and bytes cross intact, in order, with the advanced serialization
 * and with the default JSON one; the publishing worker does not get its own
 * messages back.
 */
import assert from 'node:assert/strict';
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isIpcBatch } from '../../src/pubsub/ipc-bus.js';
import { startIpcRelay } from '../../src/pubsub/ipc-relay.js';

type Report = { ready?: boolean; got?: [string, string, string]; log?: string };

async function fork(): Promise<{ worker: Worker; reports: Report[]; next: () => Promise<Report> }> {
  const worker = cluster.fork();
  const reports: Report[] = [];
  const waiters: ((r: Report) => void)[] = [];
  worker.on('message', (r: Report) => {
    if (isIpcBatch(r)) return; // the bus's own traffic, for the relay
    const w = waiters.shift();
    if (w) w(r);
    else reports.push(r);
  });
  const next = (): Promise<Report> => {
    const r = reports.shift();
    return r ? Promise.resolve(r) : new Promise((resolve) => waiters.push(resolve));
  };
  assert.deepEqual(await next(), { ready: true });
  return { worker, reports, next };
}

for (const serialization of ['advanced', 'json'] as const) {
  test(`workers share messages through the primary (${serialization} serialization)`, async () => {
    cluster.setupPrimary({
      exec: fileURLToPath(new URL('./ipc-worker.ts', import.meta.url)),
      execArgv: ['--import', 'tsx'],
      serialization,
    });
    const relay = startIpcRelay();
    const a = await fork();
    const b = await fork();
    try {
      const bytes = Buffer.from([0, 1, 2, 13, 10, 255]).toString('base64');
      for (let i = 0; i < 50; i++) a.worker.send({ publish: ['t', `text ${i}`, false] });
      a.worker.send({ publish: ['bin', bytes, true] });
      b.worker.send({ publish: ['t', 'from b', false] });
      const gotB: Report['got'][] = [];
      for (let i = 0; i < 51; i++) gotB.push((await b.next()).got);
      assert.deepEqual(gotB, [...Array.from({ length: 50 }, (_, i) => ['t', 'text', `text ${i}`]), ['bin', 'binary', bytes]]);
      assert.deepEqual((await a.next()).got, ['t', 'text', 'from b'], 'a hears b, and none of its own');
      assert.equal(relay.dropped, 0);
    } finally {
      relay.stop();
      for (const w of [a.worker, b.worker]) {
        const gone = once(w, 'exit');
        w.kill();
        await gone;
      }
    }
  });
}

test('a worker that stops reading (SIGSTOP) misses batches past the relay limit instead of growing the primary, and catches up when it runs again', { timeout: 60_000 }, async () => {
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./ipc-worker.ts', import.meta.url)),
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
  });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const logged = (re: RegExp): Promise<void> =>
    lines.some((l) => re.test(l)) ? Promise.resolve() : new Promise((resolve) => waiters.push({ re, resolve }));
  const relay = startIpcRelay({
    queueBytes: 256 * 1024,
    log: (line) => {
      lines.push(line);
      for (const w of waiters.splice(0)) (w.re.test(line) ? w.resolve : () => waiters.push(w))();
    },
  });
  const a = await fork();
  const b = await fork();
  try {
    process.kill(b.worker.process.pid!, 'SIGSTOP');
    const behind = logged(/is not keeping up; dropping messages for it/);
    const piece = 'x'.repeat(64 * 1024);
    // 8 MiB through a channel whose kernel buffers hold well under one: the relay must drop.
    for (let i = 0; i < 128; i++) a.worker.send({ publish: ['t', `${i} ${piece}`, false] });
    await behind;
    process.kill(b.worker.process.pid!, 'SIGCONT');
    // Once b has drained what the relay handed it, the next batch goes through.
    let seen = -1;
    let received = 0;
    for (let marker = 0; ; marker++) {
      a.worker.send({ publish: ['t', `marker ${marker}`, false] });
      const report = await b.next();
      if (report.got === undefined) continue;
      const got = report.got[2];
      if (got.startsWith('marker')) break;
      const n = Number(got.split(' ')[0]);
      assert.ok(n > seen, `out of order: ${n} after ${seen}`);
      seen = n;
      received++;
    }
    assert.ok(relay.dropped > 0, 'nothing was dropped');
    assert.ok(received < 128, 'every message reached the stopped worker');
    await logged(/caught up/);
  } finally {
    process.kill(b.worker.process.pid!, 'SIGCONT');
    relay.stop();
    for (const w of [a.worker, b.worker]) {
      const gone = once(w, 'exit');
      w.kill();
      await gone;
    }
  }
});
