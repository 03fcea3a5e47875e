import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createSemaphore, withPermit } from '../../src/sync/semaphore.js';
import { Deque } from '../../src/sync/deque.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a one-permit semaphore is a FIFO mutex', HANG_GUARD, async () => {
  const lock = createSemaphore(1);
  await lock.acquire();
  const order: number[] = [];
  const waiters = [1, 2, 3].map((i) => lock.acquire().then(() => order.push(i)));
  assert.equal(lock.waiting, 3);
  assert.equal(lock.tryAcquire(), false); // no overtaking the queue
  lock.release();
  await settle();
  assert.deepEqual(order, [1]);
  lock.release();
  lock.release();
  await Promise.all(waiters);
  assert.deepEqual(order, [1, 2, 3]);
  assert.equal(lock.active, 1);
  lock.release();
  assert.equal(lock.active, 0);
  assert.throws(() => lock.release());
});

test('never more than `permits` jobs run at once', HANG_GUARD, async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 30 }), fc.scheduler(), async (permits, jobs, s) => {
      const sem = createSemaphore(permits);
      let running = 0;
      let peak = 0;
      const all = Array.from({ length: jobs }, (_, i) =>
        withPermit(sem, async () => {
          running++;
          peak = Math.max(peak, running);
          await s.schedule(Promise.resolve(), `job${i}`);
          running--;
          return i;
        }),
      );
      const results = await s.waitFor(Promise.all(all));
      assert.deepEqual(results, Array.from({ length: jobs }, (_, i) => i));
      assert.ok(peak <= permits);
      assert.equal(sem.active, 0);
    }),
    { numRuns: 100 },
  );
});

test('withPermit releases when the job throws', HANG_GUARD, async () => {
  const sem = createSemaphore(1);
  await assert.rejects(withPermit(sem, async () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(sem.active, 0);
});

test('close rejects waiters and later acquires; holders keep their permit', HANG_GUARD, async () => {
  const sem = createSemaphore(1);
  await sem.acquire();
  const w = sem.acquire();
  sem.close();
  await assert.rejects(w, { code: 'WEFT_SEMAPHORE_CLOSED' });
  await assert.rejects(sem.acquire(), { code: 'WEFT_SEMAPHORE_CLOSED' });
  assert.equal(sem.tryAcquire(), false);
  sem.release();
});

test('Deque: FIFO across growth and wrap-around', HANG_GUARD, () => {
  const d = new Deque<number>();
  const model: number[] = [];
  let next = 0;
  for (let round = 0; round < 200; round++) {
    const pushes = (round * 7) % 13;
    for (let i = 0; i < pushes; i++) {
      d.push(next);
      model.push(next++);
    }
    const shifts = (round * 5) % 11;
    for (let i = 0; i < shifts; i++) assert.equal(d.shift(), model.shift());
    assert.equal(d.length, model.length);
    assert.equal(d.peek(), model[0]);
  }
  assert.deepEqual(d.drain(), model);
  assert.equal(d.shift(), undefined);
});
