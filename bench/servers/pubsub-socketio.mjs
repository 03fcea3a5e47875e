/**
 * socket.io's side of bench/pubsub.mjs: socket.io 4 with
 * @socket.io/redis-adapter on node-redis, the setup their documentation
 * gives for several servers. WebSocket transport only (no polling, no
 * permessage-deflate), as weft is measured. A `role=sub` connection joins
 * room "bench" and gets a "ready" event; every "m" event a `role=pub`
 * connection emits is broadcast to the room, across servers through Redis.
 *
 *   node bench/servers/pubsub-socketio.mjs --redis redis://127.0.0.1:6379 [--port 0]
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    redis: { type: 'string' },
  },
});

const pub = createClient({ url: values.redis });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);

const http = createServer();
const io = new Server(http, {
  adapter: createAdapter(pub, sub),
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
});
io.on('connection', (socket) => {
  if (socket.handshake.query.role === 'sub') {
    socket.join('bench');
    socket.emit('ready');
  } else {
    socket.on('m', (data) => io.to('bench').emit('m', data));
  }
});

http.listen(Number(values.port), values.host, () => {
  console.log(`listening on ${values.host}:${http.address().port}`);
});
process.on('SIGTERM', () => {
  io.close();
  void Promise.allSettled([pub.quit(), sub.quit()]).then(() => process.exit(0));
});
