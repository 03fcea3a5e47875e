/**
 * weft's side of bench/pubsub.mjs: the built package (dist/) with a hub on
 * the Redis bus. `/sub` subscribes the connection to topic "bench" and says
 * "ready" once the subscription is in effect; every message a `/pub`
 * connection sends is published to "bench" (the idiomatic shape: `await`
 * what publish() returns). Defaults everywhere: outbox 1 MiB per
 * subscriber, too slow → 1013.
 *
 *   node bench/servers/pubsub-weft.mjs --redis redis://127.0.0.1:6379 [--port 0]
 */
import { parseArgs } from 'node:util';
import { createHub, createServer, redisBus, router, websocket } from '../../dist/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    redis: { type: 'string' },
  },
});

const hub = createHub({ bus: redisBus({ url: values.redis }) });
const app = router()
  .get('/sub', websocket(async (ws) => {
    await ws.subscribe('bench');
    await ws.send('ready');
    for await (const _ of ws); // subscribers say nothing
  }, { topics: hub }))
  .get('/pub', websocket(async (ws) => {
    for await (const m of ws) {
      const room = hub.publish('bench', m.data);
      if (room !== undefined) await room;
    }
  }));

const server = createServer(app);
await server.listen({ port: Number(values.port), host: values.host });
console.log(`listening on ${values.host}:${server.port}`);
process.on('SIGTERM', () => void server.close().then(() => hub.close()).then(() => process.exit(0)));
