/**
 * A streaming endpoint: Server-Sent Events from an async generator. Each
 * event is sent as it is produced (chunked encoding); when the client goes
 * away the generator is returned, so its `finally` releases what it holds.
 *
 *   node dist/examples/streaming.js --port 3002
 *   curl -N localhost:3002/clock
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { bodyFromGenerator, createServer, router } from 'weft';

let listeners = 0;

async function* clock(): AsyncGenerator<string> {
  listeners++;
  try {
    yield `retry: 2000\n\n`;
    for (let i = 0; ; i++) {
      yield `id: ${i}\ndata: ${new Date().toISOString()} (${listeners} listening)\n\n`;
      await sleep(1000);
    }
  } finally {
    listeners--; // runs when the client disconnects, too
  }
}

const app = router().get('/clock', () => ({
  code: 200,
  headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' },
  body: bodyFromGenerator(clock()),
}));

const { values } = parseArgs({ options: { port: { type: 'string', default: '3002' }, host: { type: 'string', default: '127.0.0.1' } } });
const server = await createServer(app).listen({ port: Number(values.port), host: values.host });
console.log(`streaming listening on http://${server.host}:${server.port}/clock`);
process.once('SIGINT', () => void server.close({ timeout: 1000 }).then(() => process.exit(0)));
