/**
 * bench/soak.mjs, graceful shutdown: --connections keep-alive connections,
 * each sending GET --path one after the other (the next as soon as the
 * previous response is complete). A response with `Connection: close`, or a
 * connection closed under it, makes the connection open a new one; a refused
 * connect ends that connection's work. After --signal-at seconds the client
 * itself sends SIGTERM to --pid, so "before the signal" is exact: a request
 * written before the kill() call is a pre-signal request. After --duration
 * seconds no new request is written; the ones in flight get --drain seconds.
 * Prints `RESULT {"before": {"answered", "lost", "connectErrors"}, "after":
 * {"answered", "dropped", "refused", "connectErrors"}, "drained"}`: a
 * pre-signal request without a whole 200 response is lost; after the signal,
 * requests are answered or dropped, and connects are refused (or fail
 * otherwise: connectErrors). drained: every connection's work ended in time.
 *
 *   node bench/clients/soak-shutdown.mjs --port P --pid PID [--connections 50] [--duration 4]
 *     [--signal-at 2] [--path /] [--drain 12]
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { responseParser } from './soak-responses.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    pid: { type: 'string' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '4' },
    'signal-at': { type: 'string', default: '2' },
    path: { type: 'string', default: '/' },
    drain: { type: 'string', default: '12' },
  },
});
const port = Number(values.port);
const REQUEST = Buffer.from(`GET ${values.path} HTTP/1.1\r\nHost: soak\r\n\r\n`);
const before = { answered: 0, lost: 0, connectErrors: 0 };
const after = { answered: 0, dropped: 0, refused: 0, connectErrors: 0 };
let signalled = false;
let writing = true;

/**
 * One connection's requests, one at a time, until it must reconnect.
 * Resolves 'reconnect', 'refused' or 'done'.
 */
function session() {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let inFlight = null; // { pre } of the request awaiting its response
    let connected = false;
    const send = () => {
      if (!writing) {
        socket.destroy();
        return;
      }
      inFlight = { pre: !signalled };
      socket.write(REQUEST);
    };
    const parser = responseParser((response) => {
      const request = inFlight;
      inFlight = null;
      if (response.status !== 200) {
        // Not an answer to count as served: a wrong response loses the request.
        if (request.pre) before.lost++;
        else after.dropped++;
      } else if (request.pre) before.answered++;
      else after.answered++;
      if (response.close) socket.destroy();
      else send();
    });
    socket.on('connect', () => {
      connected = true;
      send();
    });
    socket.on('data', (chunk) => {
      try {
        parser.feed(chunk);
      } catch {
        socket.destroy();
      }
    });
    let refused = false;
    socket.on('error', (error) => {
      if (error.code === 'ECONNREFUSED') refused = true;
    });
    socket.on('close', () => {
      if (inFlight !== null) {
        if (inFlight.pre) before.lost++;
        else after.dropped++;
      }
      if (!connected) {
        if (refused && signalled) {
          after.refused++;
          return resolve('refused');
        }
        (signalled ? after : before).connectErrors++;
        if (refused) return resolve('refused');
      }
      resolve(writing ? 'reconnect' : 'done');
    });
  });
}

async function connectionWork() {
  while ((await session()) === 'reconnect');
}

const pid = Number(values.pid);
const signalTimer = setTimeout(() => {
  signalled = true;
  process.kill(pid, 'SIGTERM');
}, Number(values['signal-at']) * 1000);
const stopTimer = setTimeout(() => (writing = false), Number(values.duration) * 1000);
const work = Promise.all(Array.from({ length: Number(values.connections) }, connectionWork));
let drainTimer;
const drained = await Promise.race([
  work.then(() => true),
  new Promise((resolve) => (drainTimer = setTimeout(() => resolve(false), (Number(values.duration) + Number(values.drain)) * 1000))),
]);
clearTimeout(drainTimer);
clearTimeout(signalTimer);
clearTimeout(stopTimer);
console.log('RESULT ' + JSON.stringify({ before, after, signalled, drained }));
process.exit(0);
