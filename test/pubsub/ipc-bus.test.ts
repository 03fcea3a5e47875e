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
