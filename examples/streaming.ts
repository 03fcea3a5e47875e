/**
 * A streaming endpoint: server-sent events with eventStream(). Each event is
 * sent as it is produced; a comment goes out when nothing happened for a
 * while (heartbeat); a browser that reconnects sends the last ID it saw and
 * the count resumes from there. When the client goes away the generator's
 * signal is aborted and its `finally` runs.
 *
 *   node dist/examples/streaming.js --port 3002
 *   curl -N localhost:3002/clock
 *   curl -N localhost:3002/clock -H 'Last-Event-ID: 41'
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createServer, eventStream, lastEventId, router } from 'weft-server';

let listeners = 0;

const app = router().get('/clock', (req) =>
  eventStream(
    async function* (signal) {
      listeners++;
      try {
        let id = Number(lastEventId(req) ?? -1);
        for (;;) {
          id++;
          yield { event: 'tick', id: String(id), data: `${new Date().toISOString()} (${listeners} listening)` };
          await sleep(1000, undefined, { signal });
        }
      } finally {
        listeners--; // runs when the client disconnects, too
      }
    },
    { retry: 2000, heartbeatMs: 15_000 },
  ),
);

const { values } = parseArgs({ options: { port: { type: 'string', default: '3002' }, host: { type: 'string', default: '127.0.0.1' } } });
const server = await createServer(app).listen({ port: Number(values.port), host: values.host });
console.log(`streaming listening on http://${server.host}:${server.port}/clock`);
process.once('SIGINT', () => void server.close({ timeout: 1000 }).then(() => process.exit(0)));
