import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createQueue } from '../../src/sync/queue.js';
import { SyncError } from '../../src/sync/errors.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

/** Lets every pending promise callback run (one turn of the event loop, not a timer). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(p: Promise<T>): { done: boolean; value?: T; error?: unknown } {
  const s: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (v) => ((s.done = true), (s.value = v)),
    (e) => ((s.done = true), (s.error = e)),
  );
  return s;
}

test('items come out in the order they went in', HANG_GUARD, async () => {
  const q = createQueue<number>(10);
  for (let i = 0; i < 10; i++) await q.push(i);
  const out: number[] = [];
  for (let i = 0; i < 10; i++) out.push((await q.pop())!);
  assert.deepEqual(out, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('capacity N buffers N items, then producers block until a pop', HANG_GUARD, async () => {
  const q = createQueue<string>(2);
  const a = track(q.push('a'));
  const b = track(q.push('b'));
  const c = track(q.push('c'));
  await settle();
  assert.equal(a.done && b.done, true);
  assert.equal(c.done, false);
  assert.equal(q.length, 2);
  assert.equal(await q.pop(), 'a');
  await settle();
  assert.equal(c.done, true); // admitted into the freed slot
  assert.equal(q.length, 2);
  assert.equal(await q.pop(), 'b');
  assert.equal(await q.pop(), 'c');
});

test('capacity 0 is a rendezvous: a push completes only when a consumer takes it', HANG_GUARD, async () => {
  const q = createQueue<number>();
  const p = track(q.push(1));
  await settle();
  assert.equal(p.done, false);
  assert.equal(q.length, 0);
  assert.equal(await q.pop(), 1);
  await settle();
  assert.equal(p.done, true);
  // A waiting consumer receives the next push directly.
  const c = track(q.pop());
  await settle();
  assert.equal(c.done, false);
  await q.push(2);
  await settle();
  assert.deepEqual([c.done, c.value], [true, 2]);
});

test('waiting producers are woken in FIFO order', HANG_GUARD, async () => {
  const q = createQueue<number>(1);
  await q.push(0);
  const order: number[] = [];
  const pushes = [1, 2, 3, 4].map((i) => q.push(i).then(() => order.push(i)));
  await settle();
  assert.deepEqual(order, []);
  const popped: number[] = [];
  for (let i = 0; i < 5; i++) popped.push((await q.pop())!);
  await Promise.all(pushes);
  assert.deepEqual(popped, [0, 1, 2, 3, 4]);
  assert.deepEqual(order, [1, 2, 3, 4]);
});

test('a new push waits behind producers already waiting even when tryPush would see room', HANG_GUARD, async () => {
  const q = createQueue<number>(0);
  const first = track(q.push(1));
  // With capacity 0 there is never room; the newcomer queues behind.
  assert.equal(q.tryPush(2), false);
  assert.equal(q.tryPop(), 1);
  await settle();
  assert.equal(first.done, true);
});

test('waiting consumers are served in FIFO order', HANG_GUARD, async () => {
  const q = createQueue<string>(4);
  const got: string[] = [];
  const consumers = ['c1', 'c2', 'c3'].map((name) => q.pop().then((v) => got.push(`${name}:${v}`)));
  await settle();
  await q.push('x');
  await q.push('y');
  await q.push('z');
  await Promise.all(consumers);
  assert.deepEqual(got, ['c1:x', 'c2:y', 'c3:z']);
});

test('close rejects waiting and future producers; consumers drain, then get null', HANG_GUARD, async () => {
  const q = createQueue<number>(2);
  await q.push(1);
  await q.push(2);
  const blocked = q.push(3);
  q.close();
  await assert.rejects(blocked, (e: unknown) => e instanceof SyncError && e.code === 'WEFT_QUEUE_CLOSED');
  await assert.rejects(q.push(4), { code: 'WEFT_QUEUE_CLOSED' });
  assert.equal(q.tryPush(5), false);
  assert.equal(q.closed, true);
  assert.equal(await q.pop(), 1);
  assert.equal(await q.pop(), 2);
  assert.equal(await q.pop(), null);
  assert.equal(await q.pop(), null);
  q.close(); // idempotent
});

test('close wakes every waiting consumer with null', HANG_GUARD, async () => {
  const q = createQueue<number>();
  const waiting = [q.pop(), q.pop(), q.pop()];
  await settle();
  q.close();
  assert.deepEqual(await Promise.all(waiting), [null, null, null]);
});

test('weighted capacity: accepts while the weight is under the capacity, one item may overshoot', HANG_GUARD, async () => {
  const q = createQueue<Buffer>(10, { weigh: (b) => b.length });
  assert.equal(q.tryPush(Buffer.alloc(4)), true);
  assert.equal(q.tryPush(Buffer.alloc(100)), true); // 4 < 10: admitted, overshoots
  assert.equal(q.weight, 104);
  const blocked = track(q.push(Buffer.alloc(1)));
  await settle();
  assert.equal(blocked.done, false);
  assert.equal(q.tryPop()!.length, 4);
  await settle();
  assert.equal(blocked.done, false); // still 100 buffered
  assert.equal(q.tryPop()!.length, 100);
  await settle();
  assert.equal(blocked.done, true);
  assert.equal(q.weight, 1);
});

test('tryPop takes from a waiting producer in rendezvous mode and returns undefined when empty', HANG_GUARD, async () => {
  const q = createQueue<number>();
  assert.equal(q.tryPop(), undefined);
  const p = track(q.push(7));
  assert.equal(q.tryPop(), 7);
  await settle();
  assert.equal(p.done, true);
});

test('rejects a negative capacity', HANG_GUARD, () => {
  assert.throws(() => createQueue(-1), RangeError);
});

test('property: many producers and consumers, no item lost or duplicated, per-producer order kept, buffer bounded', HANG_GUARD, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 4 }), // capacity
      fc.integer({ min: 1, max: 6 }), // producers
      fc.integer({ min: 1, max: 6 }), // consumers
      fc.integer({ min: 0, max: 40 }), // items per producer
      fc.scheduler(),
      async (capacity, nProducers, nConsumers, perProducer, s) => {
        const q = createQueue<[number, number]>(capacity);
        let maxLength = 0;
        const producers = Array.from({ length: nProducers }, async (_, p) => {
          for (let i = 0; i < perProducer; i++) {
            await s.schedule(Promise.resolve(), `p${p}`);
            await q.push([p, i]);
            maxLength = Math.max(maxLength, q.length);
          }
        });
        const received: [number, number][][] = Array.from({ length: nConsumers }, () => []);
        const consumers = Array.from({ length: nConsumers }, async (_, c) => {
          for (;;) {
            await s.schedule(Promise.resolve(), `c${c}`);
            const item = await q.pop();
            if (item === null) return;
            received[c]!.push(item);
          }
        });
        const all = Promise.all(producers).then(() => q.close());
        await s.waitFor(Promise.all([all, ...consumers]));
        const flat = received.flat();
        assert.equal(flat.length, nProducers * perProducer);
        const seen = new Set(flat.map(([p, i]) => `${p}:${i}`));
        assert.equal(seen.size, flat.length);
        // Each consumer sees each producer's items in increasing order.
        for (const list of received) {
          const last = new Map<number, number>();
          for (const [p, i] of list) {
            assert.ok((last.get(p) ?? -1) < i);
            last.set(p, i);
          }
        }
        assert.ok(maxLength <= capacity);
      },
    ),
    { numRuns: 100 },
  );
});

test('property: a single consumer sees the exact global push order', HANG_GUARD, async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(fc.nat({ max: 3 }), { maxLength: 60 }), async (capacity, plan) => {
      // Producers push in the order given by `plan`, each without waiting
      // for the previous push to complete; FIFO admission keeps that order.
      const q = createQueue<number>(capacity);
      const pushes = plan.map((_, i) => q.push(i));
      const out: number[] = [];
      for (let i = 0; i < plan.length; i++) out.push((await q.pop())!);
      await Promise.all(pushes);
      assert.deepEqual(out, plan.map((_, i) => i));
    }),
    { numRuns: 200 },
  );
});
