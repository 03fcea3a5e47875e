import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { connect, hasCommands, readBytes, readToEnd, startProgram, type Program } from '../support.js';

let server: Program;
before(async () => {
  server = await startProgram('dist/examples/message-echo.js');
});
after(() => server.stop());

const hasNc = hasCommands('nc');

test('nc: a, b, quit get two echoes and Bye.', { skip: !hasNc && 'nc is not installed' }, () => {
  const out = execFileSync('sh', ['-c', `printf 'a\\nb\\nquit\\n' | nc 127.0.0.1 ${server.port}`], { timeout: 10_000 });
  assert.equal(out.toString(), 'Echo: a\nEcho: b\nBye.\n');
});

test('three pipelined messages in one write get three replies in order', async () => {
  const s = await connect(server.port);
  const all = readToEnd(s);
  s.write('one\ntwo\nthree\nquit\n');
  assert.equal((await all).toString(), 'Echo: one\nEcho: two\nEcho: three\nBye.\n');
});

test('a message delivered one byte at a time', async () => {
  const s = await connect(server.port);
  const all = readToEnd(s);
  for (const ch of 'hello\nquit\n') {
    s.write(ch);
    await new Promise((r) => setImmediate(r)); // separate segments, most likely
  }
  assert.equal((await all).toString(), 'Echo: hello\nBye.\n');
});

test('EOF in the middle of a message closes without a reply', async () => {
  const s = await connect(server.port);
  const all = readToEnd(s);
  s.end('done\nunfinish');
  assert.equal((await all).toString(), 'Echo: done\n');
});

test('an over-long message closes the connection with an error', async () => {
  const s = await connect(server.port);
  const all = readToEnd(s);
  s.write('ok\n' + 'x'.repeat(64 * 1024 + 1));
  assert.equal((await all).toString(), 'Echo: ok\nError: message too long\n');
});

test('a message of exactly the limit is echoed', async () => {
  const s = await connect(server.port);
  const all = readToEnd(s);
  const max = 'y'.repeat(64 * 1024);
  s.write(max + '\nquit\n');
  assert.equal((await all).toString(), `Echo: ${max}\nBye.\n`);
});

test('10,000 pipelined 10-byte messages complete in order', async () => {
  const s = await connect(server.port);
  const n = 10_000;
  const msgs = Array.from({ length: n }, (_, i) => `m${String(i).padStart(8, '0')}`);
  const expected = msgs.map((m) => `Echo: ${m}\n`).join('');
  const replies = readBytes(s, Buffer.byteLength(expected));
  s.write(msgs.map((m) => m + '\n').join(''));
  assert.equal((await replies).toString(), expected);
  s.destroy();
});
