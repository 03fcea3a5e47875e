import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { bodyFromBuffer, bodyFromGenerator, bodyFromReadable, json, readAll } from '../../src/http/body.js';
import { HTTPError } from '../../src/http/errors.js';
import type { BodyReader } from '../../src/http/types.js';

async function drain(b: BodyReader): Promise<string> {
  const parts: Buffer[] = [];
  for (let c = await b.read(); c.length > 0; c = await b.read()) parts.push(c);
  await b.close?.();
  return Buffer.concat(parts).toString();
}

test('bodyFromBuffer: its length, its bytes, then the end', async () => {
  const b = bodyFromBuffer('héllo');
  assert.equal(b.length, 6);
  assert.equal(b.bytes?.toString(), 'héllo');
  assert.equal(await drain(b), 'héllo');
});

test('bodyFromGenerator: chunks in order, empty chunks skipped; close() runs the finally', async () => {
  let finished = false;
  const gen = (async function* () {
    try {
      yield 'a';
      yield '';
      yield Buffer.from('b');
      yield 'c';
    } finally {
      finished = true;
    }
  })();
  const b = bodyFromGenerator(gen);
  assert.equal(b.length, -1);
  assert.equal((await b.read()).toString(), 'a');
  assert.equal((await b.read()).toString(), 'b');
  await b.close!();
  assert.ok(finished);
  assert.equal((await b.read()).length, 0);
});

test('bodyFromReadable: a Node stream, with backpressure, destroyed on close', async () => {
  const stream = Readable.from(['x', 'y', 'z']);
  assert.equal(await drain(bodyFromReadable(stream, 3)), 'xyz');
  const endless = new Readable({ read() { this.push('!'); } });
  const b = bodyFromReadable(endless);
  await b.read();
  await b.close!();
  assert.ok(endless.destroyed);
});

test('json: serialised with its content type and status', async () => {
  const r = json({ id: 7, name: 'x' }, 201, { 'x-extra': '1' });
  assert.equal(r.code, 201);
  assert.equal(r.headers!['content-type'], 'application/json; charset=utf-8');
  assert.equal(r.headers!['x-extra'], '1');
  assert.deepEqual(JSON.parse(await drain(r.body!)), { id: 7, name: 'x' });
});

test('readAll: limits give 413', async () => {
  assert.equal((await readAll(bodyFromBuffer('abc'), 3)).toString(), 'abc');
  await assert.rejects(readAll(bodyFromBuffer('abcd'), 3), (e: unknown) => e instanceof HTTPError && e.status === 413);
  const chunked = bodyFromGenerator((async function* () { yield 'ab'; yield 'cd'; })());
  await assert.rejects(readAll(chunked, 3), (e: unknown) => e instanceof HTTPError && e.status === 413);
});
