/** The RESP2 reply parser on its own, fed the way a hostile or slow server would. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RedisClientError } from '../../src/pubsub/redis/errors.js';
import { INCOMPLETE, ReplyParser } from '../../src/pubsub/redis/resp.js';

/** Feeds `bytes` one at a time, parsing only when the parser said it is worth it; returns the value and the parse calls. */
function trickle(bytes: Buffer): { value: unknown; attempts: number } {
  const parser = new ReplyParser();
  let attempts = 0;
  for (let n = 1; n <= bytes.length; n++) {
    if (n < parser.need) continue;
    attempts++;
    const v = parser.parse(bytes.subarray(0, n));
    if (v !== INCOMPLETE) {
      assert.equal(parser.end, bytes.length);
      return { value: v, attempts };
    }
  }
  throw new Error('never complete');
}

test('an array header alone asks for at least three bytes per element still to come', () => {
  const parser = new ReplyParser();
  const buf = Buffer.from('*100000\r\n:1\r\n');
  assert.equal(parser.parse(buf), INCOMPLETE);
  assert.ok(parser.need >= buf.length + 1 + 3 * 99_998, `need ${parser.need}`);
  // Nested: the inner array's remaining elements count, and the outer's.
  const nested = Buffer.from('*3\r\n*4\r\n:1\r\n');
  assert.equal(parser.parse(nested), INCOMPLETE);
  assert.ok(parser.need >= nested.length + 1 + 3 * 2 + 3 * 2, `need ${parser.need}`);
});

test('a large array arriving byte by byte is parsed a handful of times, not once per byte, and comes out whole', () => {
  const n = 2000;
  const bytes = Buffer.from(`*${n}\r\n${':7\r\n'.repeat(n)}`);
  const { value, attempts } = trickle(bytes);
  assert.deepEqual(value, new Array(n).fill(7));
  assert.ok(attempts < 50, `${attempts} parse attempts for ${bytes.length} bytes`);
  // Mixed elements, the shortest ones included: the bound never skips past a complete reply.
  const mixed = Buffer.from('*6\r\n+\r\n-\r\n$0\r\n\r\n*0\r\n:12\r\n$-1\r\n');
  const out = trickle(mixed).value as unknown[];
  assert.equal(out.length, 6);
  assert.deepEqual([out[0], out[3], out[4], out[5]], ['', [], 12, null]);
});

test('a reply may span its largest bulk string and a line, no more: an array of bulk strings each under the limit is refused once over it', () => {
  const maxBulk = 1024;
  const parser = new ReplyParser(maxBulk);
  const item = `$${maxBulk}\r\n${'x'.repeat(maxBulk)}\r\n`;
  const buf = Buffer.from(`*1000\r\n${item.repeat(70)}`); // 70 KiB buffered, and more announced
  assert.throws(() => parser.parse(buf), (err: RedisClientError) => err.code === 'WEFT_REDIS_PROTOCOL' && /a reply longer than/.test(err.message));
  // A pub/sub message with a payload at the limit is fine, arriving in pieces too.
  const message = Buffer.from(`*3\r\n$7\r\nmessage\r\n$6\r\nweft:t\r\n${item}`);
  assert.equal(parser.parse(message.subarray(0, 100)), INCOMPLETE);
  assert.equal((parser.parse(message) as Buffer[])[2]!.length, maxBulk);
});
