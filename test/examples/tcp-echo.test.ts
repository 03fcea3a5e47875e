import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { connect, readToEnd, startProgram, type Program } from '../support.js';

let server: Program;
before(async () => {
  server = await startProgram('dist/examples/tcp-echo.js');
});
after(() => server.stop());

test('echoes 8 MiB of random bytes exactly, then closes after the client half-closes', async () => {
  const s = await connect(server.port);
  const all = readToEnd(s);
  const data = randomBytes(8 * 1024 * 1024);
  s.end(data);
  const got = await all;
  assert.equal(got.length, data.length);
  assert.ok(got.equals(data));
});

test('serves several clients at once', async () => {
  const clients = await Promise.all([1, 2, 3].map(() => connect(server.port)));
  const results = clients.map((c) => readToEnd(c));
  clients.forEach((c, i) => c.end(`client ${i}`));
  assert.deepEqual((await Promise.all(results)).map(String), ['client 0', 'client 1', 'client 2']);
});
