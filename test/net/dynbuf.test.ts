import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DynBuf } from '../../src/net/dynbuf.js';
import { MessageTooLongError } from '../../src/net/errors.js';

const NL = Buffer.from('\n');
const CRLF2 = Buffer.from('\r\n\r\n');

test('append then consume from the front keeps order', () => {
  const b = new DynBuf();
  b.append(Buffer.from('hello '));
  b.append(Buffer.from('world'));
  assert.equal(b.length, 11);
  b.consume(6);
  assert.equal(b.peek().toString(), 'world');
  assert.equal(b.take(3).toString(), 'wor');
  assert.equal(b.takeAll().toString(), 'ld');
  assert.equal(b.length, 0);
});

test('an appended chunk into an empty buffer is adopted, not copied', () => {
  const b = new DynBuf();
  const chunk = Buffer.from('a\nb\n');
  b.append(chunk);
  assert.equal(b.copiedBytes, 0);
  const first = b.cut(NL, 10)!;
  assert.equal(first.buffer, chunk.buffer, 'the message is a view of the chunk');
  assert.equal(b.cut(NL, 10)!.toString(), 'b');
  assert.equal(b.cut(NL, 10), null);
});

test('cut returns messages split across many appends', () => {
  const b = new DynBuf();
  const out: string[] = [];
  for (const ch of 'one\r\n\r\ntwo\r\n\r\nthr') {
    b.append(Buffer.from(ch));
    const m = b.cut(CRLF2, 100);
    if (m) out.push(m.toString());
  }
  assert.deepEqual(out, ['one', 'two']);
  assert.equal(b.peek().toString(), 'thr');
});

test('cut throws MessageTooLongError exactly past maxLength', () => {
  const ok = new DynBuf();
  ok.append(Buffer.from('x'.repeat(8) + '\n'));
  assert.equal(ok.cut(NL, 8)!.length, 8);

  const long = new DynBuf();
  long.append(Buffer.from('x'.repeat(9) + '\n'));
  assert.throws(() => long.cut(NL, 8), MessageTooLongError);

  // Without a delimiter yet: 8 bytes may still become a valid message...
  const partial = new DynBuf();
  partial.append(Buffer.from('x'.repeat(8)));
  assert.equal(partial.cut(NL, 8), null);
  // ...but 9 cannot.
  partial.append(Buffer.from('x'));
  assert.throws(() => partial.cut(NL, 8), (e: unknown) => e instanceof MessageTooLongError && e.code === 'WEFT_MESSAGE_TOO_LONG');
});

test('a multi-byte delimiter split between appends is found', () => {
  const b = new DynBuf();
  b.append(Buffer.from('head\r\n'));
  assert.equal(b.cut(CRLF2, 100), null);
  b.append(Buffer.from('\r'));
  assert.equal(b.cut(CRLF2, 100), null);
  b.append(Buffer.from('\nbody'));
  assert.equal(b.cut(CRLF2, 100)!.toString(), 'head');
  assert.equal(b.peek().toString(), 'body');
});

test('views handed out stay intact while the buffer keeps working', () => {
  const b = new DynBuf();
  const views: Buffer[] = [];
  const expected: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const msg = `message-${i}`;
    expected.push(msg);
    // Odd split points force owned buffers, growth and compaction.
    const line = Buffer.from(msg + '\n');
    b.append(line.subarray(0, 3));
    b.append(line.subarray(3));
    for (let m = b.cut(NL, 64); m; m = b.cut(NL, 64)) views.push(m);
  }
  assert.deepEqual(views.map((v) => v.toString()), expected);
});

test('consuming many small messages from one large buffer is linear', () => {
  const b = new DynBuf();
  const n = 100_000;
  const chunk = Buffer.from('0123456789\n'.repeat(1000));
  let count = 0;
  let appended = 0;
  for (let i = 0; i < n / 1000; i++) {
    // Arrive in two pieces so the buffer has to own and move memory.
    b.append(chunk.subarray(0, 5005));
    b.append(chunk.subarray(5005));
    appended += chunk.length;
    for (let m = b.cut(NL, 100); m; m = b.cut(NL, 100)) count++;
  }
  assert.equal(count, n);
  assert.ok(b.copiedBytes <= 3 * appended, `copied ${b.copiedBytes} for ${appended} appended`);
});

test('byte-at-a-time input is not rescanned from the start (no O(n²))', () => {
  const b = new DynBuf();
  const one = Buffer.alloc(1, 0x78);
  for (let i = 0; i < 60_000; i++) {
    b.append(one);
    assert.equal(b.cut(NL, 64 * 1024), null);
  }
  assert.ok(b.copiedBytes <= 3 * 60_000, `copied ${b.copiedBytes}`);
  b.append(NL);
  assert.equal(b.cut(NL, 64 * 1024)!.length, 60_000);
});

test('a fully consumed owned buffer is reused, not reallocated', () => {
  const b = new DynBuf();
  b.append(Buffer.from('ab'));
  b.append(Buffer.from('cd')); // now owned
  const cap = b.capacity;
  b.consume(4);
  b.append(Buffer.from('ef')); // empty: adopted
  b.append(Buffer.from('gh'));
  assert.equal(b.peek().toString(), 'efgh');
  assert.ok(cap >= 4);
});

test('consume and take past the end throw', () => {
  const b = new DynBuf();
  b.append(Buffer.from('abc'));
  assert.throws(() => b.consume(4), RangeError);
  assert.throws(() => b.take(4), RangeError);
  assert.equal(b.indexOf('c'), 2);
  assert.equal(b.byteAt(1), 0x62);
  assert.equal(b.byteAt(3), -1);
});
