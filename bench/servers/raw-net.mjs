/**
 * The ceiling of bench/http.mjs: the least an HTTP server on Node's public
 * `net` API can do per request. Each 'data' event is searched for
 * "\r\n\r\n"; every request head found gets a canned "Hello, World!" with
 * node:http's header set (Content-Type, Content-Length, Date, Connection,
 * Keep-Alive), and the answers to one read leave in one write. No parsing,
 * no validation, no bodies: only correct for GETs like wrk's, which is the
 * point. A head cut across reads is carried over (only its last 3 bytes
 * matter). Listens on 127.0.0.1:$PORT (default: any port).
 *
 *   PORT=8080 node bench/servers/raw-net.mjs
 */
import { createServer } from 'node:net';

const BODY = 'Hello, World!';
let response = Buffer.alloc(0);
let batch = { count: 0, bytes: response };

function refresh() {
  const now = Date.now();
  response = Buffer.from(
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n' +
      `Date: ${new Date(now).toUTCString()}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n${BODY}`,
    'latin1',
  );
  batch = { count: 1, bytes: response };
  setTimeout(refresh, 1000 - (now % 1000) + 1).unref();
}
refresh();

/** `n` responses in one buffer, remembered for the last n asked (pipelined batches repeat). */
function responses(n) {
  if (n === 1) return response;
  if (batch.count !== n || batch.bytes.length !== n * response.length) {
    batch = { count: n, bytes: Buffer.concat(Array(n).fill(response)) };
  }
  return batch.bytes;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

const server = createServer({ noDelay: true }, (socket) => {
  let carry = null; // up to 3 bytes of a head delimiter cut across reads
  socket.on('data', (chunk) => {
    const data = carry === null ? chunk : Buffer.concat([carry, chunk]);
    let n = 0;
    let at = data.indexOf(CRLFCRLF);
    let end = 0;
    while (at >= 0) {
      n++;
      end = at + 4;
      at = data.indexOf(CRLFCRLF, end);
    }
    const rest = data.length - end;
    carry = rest === 0 ? null : Buffer.from(data.subarray(data.length - Math.min(rest, 3)));
    if (n > 0) socket.write(responses(n));
  });
  socket.on('error', () => {});
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log('listening on 127.0.0.1:' + server.address().port);
});
