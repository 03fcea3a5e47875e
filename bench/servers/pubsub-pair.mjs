/**
 * The system under test of bench/pubsub.mjs, as one process tree for the
 * bench harness: a fresh redis-server (free port, persistence off) and two
 * servers of one kind on it (bench/servers/pubsub-<impl>.mjs), all inheriting
 * this process's CPU pinning. Prints one line once everything listens:
 *
 *   listening on 127.0.0.1:PORT_A impl=IMPL ports=PORT_A,PORT_B pids=PID_A,PID_B redis=PID_REDIS
 *
 * and stops its children on SIGTERM (the harness also kills the whole
 * process group if it lingers).
 *
 *   node bench/servers/pubsub-pair.mjs --impl weft|socketio
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../lib/free-port.mjs';

const { values } = parseArgs({ options: { impl: { type: 'string' }, port: { type: 'string' } } });
if (values.impl !== 'weft' && values.impl !== 'socketio') {
  console.error('usage: pubsub-pair.mjs --impl weft|socketio');
  process.exit(2);
}
const HERE = fileURLToPath(new URL('.', import.meta.url));
const children = [];

/** Starts a child; resolves with it once a stdout line matches `ready`, with the match. */
function start(argv, ready) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    const onData = (s) => {
      out += s;
      const m = ready.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, match: m });
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`${argv.join(' ')} exited (${code ?? signal}):\n${out}`)));
  });
}

const stopAll = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('SIGTERM', () => {
  stopAll();
  process.exit(0);
});
process.on('exit', stopAll);

try {
  const redisPort = await freePort();
  const redis = await start(
    ['redis-server', '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir(), '--logfile', ''],
    /Ready to accept connections/,
  );
  const script = join(HERE, `pubsub-${values.impl}.mjs`);
  const url = `redis://127.0.0.1:${redisPort}`;
  const servers = await Promise.all(
    [0, 1].map(() => start([process.execPath, script, '--port', '0', '--redis', url], /listening on [\d.]+:(\d+)/)),
  );
  const ports = servers.map((s) => s.match[1]);
  console.log(`listening on 127.0.0.1:${ports[0]} impl=${values.impl} ports=${ports.join(',')} pids=${servers.map((s) => s.child.pid).join(',')} redis=${redis.child.pid}`);
} catch (error) {
  console.error(error.message);
  stopAll();
  process.exit(1);
}
