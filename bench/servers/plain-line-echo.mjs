/**
 * The competitor of bench/echo.mjs: the message echo protocol of
 * examples/message-echo.ts written the way a competent Node developer would
 * with plain `net` and no weft code. Messages end with "\n"; "quit" gets
 * "Bye." and the connection closes; anything else gets "Echo: <msg>". The
 * replies to everything one 'data' event carried go out in one write.
 *
 *   node bench/servers/plain-line-echo.mjs [--port 0] [--host 127.0.0.1]
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

/** Same limit as weft's example: a longer message closes the connection. */
const MAX_MESSAGE = 64 * 1024;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

// noDelay like weft's listener: replies must not wait for Nagle.
const server = createServer({ noDelay: true }, (socket) => {
  socket.setEncoding('utf8');
  let rest = '';
  socket.on('data', (chunk) => {
    if (socket.writableEnded) return; // input after "quit" is ignored
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    let out = '';
    for (const line of lines) {
      if (line === 'quit') {
        socket.end(out + 'Bye.\n');
        return;
      }
      out += 'Echo: ' + line + '\n';
    }
    if (rest.length > MAX_MESSAGE) {
      socket.end(out + 'Error: message too long\n');
      return;
    }
    if (out !== '') socket.write(out);
  });
  socket.on('error', () => {}); // a reset ends this connection only
});

server.listen(Number(values.port), values.host, () => {
  const { address, port } = server.address();
  console.log(`plain-line-echo listening on ${address}:${port}`);
});
