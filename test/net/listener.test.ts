import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { listen } from '../../src/net/listener.js';
import { NetError } from '../../src/net/errors.js';
import { connect } from '../support.js';

test('accept() resolves with connections in arrival order', async () => {
  const l = await listen({ port: 0 });
  try {
    const a = await connect(l.port);
    a.write('A');
    const b = await connect(l.port);
    b.write('B');
    const ca = await l.accept();
    const cb = await l.accept();
    assert.equal((await ca.read()).toString(), 'A');
    assert.equal((await cb.read()).toString(), 'B');
    for (const c of [ca, cb]) c.close();
    a.destroy();
    b.destroy();
  } finally {
    await l.close();
  }
});

test('closing the listener rejects a pending accept', async () => {
  const l = await listen({ port: 0 });
  const pending = l.accept();
  await l.close();
  await assert.rejects(pending, (e: unknown) => e instanceof NetError && e.code === 'WEFT_LISTENER_CLOSED');
  await assert.rejects(l.accept(), (e: unknown) => e instanceof NetError && e.code === 'WEFT_LISTENER_CLOSED');
});

test('closing the listener closes connections nobody accepted', async () => {
  const l = await listen({ port: 0 });
  const queued = once(l.server, 'connection');
  const s = await connect(l.port);
  await queued; // the listener has queued it by now: its handler runs first
  const closed = once(s, 'close');
  s.resume();
  await l.close();
  await closed;
});

test('connections past the pending-accept bound are dropped', async () => {
  const l = await listen({ port: 0, maxPendingAccepts: 1 });
  try {
    const first = await connect(l.port);
    const second = await connect(l.port);
    second.resume();
    await once(second, 'close');
    const c = await l.accept();
    first.write('1');
    assert.equal((await c.read()).toString(), '1');
    c.close();
    first.destroy();
  } finally {
    await l.close();
  }
});

test('a busy port is reported as an error', async () => {
  const l = await listen({ port: 0 });
  try {
    await assert.rejects(listen({ port: l.port }), (e: Error & { code?: string }) => e.code === 'EADDRINUSE');
  } finally {
    await l.close();
  }
});
