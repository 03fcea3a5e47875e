import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coalesced } from '../../src/sync/coalesce.js';

test('requests during a run merge into one more run; none is lost, none is queued twice', async () => {
  let runs = 0;
  let release: () => void = () => {};
  const run = coalesced(async () => {
    runs++;
    await new Promise<void>((resolve) => (release = resolve));
  });
  const first = run();
  const more = [run(), run(), run(), run()];
  assert.equal(runs, 1);
  assert.ok(more.every((p) => p === more[0]), 'every request made during the run waits for the same next run');
  release();
  await first;
  await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(runs, 2);
  release();
  await more[0];
  assert.equal(runs, 2);
  const after = run();
  assert.equal(runs, 3, 'a request once idle runs at once');
  release();
  await after;
});

test('a failing run does not stop the next one', async () => {
  let runs = 0;
  const run = coalesced(async () => {
    runs++;
    throw new Error('bad file');
  });
  await run();
  await run();
  assert.equal(runs, 2);
});
