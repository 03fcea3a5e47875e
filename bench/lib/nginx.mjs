/**
 * nginx (Debian package `nginx`) as a competitor, run unprivileged-style from
 * a throwaway directory: the config, pid file, error log and temp paths all
 * live in a fresh temp dir, nothing under /etc or /var is written, and the
 * system's nginx service (if any) is left alone. One worker process, so it
 * competes on one core like the Node servers do.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { requireCommand } from './paths.mjs';

const SYSTEM_MIME_TYPES = '/etc/nginx/mime.types';

/**
 * Writes an nginx.conf serving `root` on 127.0.0.1:`port` into `dir`, and
 * returns its path. `extraHttp` is pasted into the http block (e.g.
 * `open_file_cache max=1000;`; it must not repeat a directive set here).
 *
 * `sendfile` and `tcpNopush` default to on, the usual production setting for
 * static files. Measured here (nginx 1.22, wrk, 16 pipelined requests per
 * write): with both on, pipelined throughput fell to about half of either
 * off, and median latency rose to ~40 ms, the signature of corked partial
 * frames waiting out a timer; keep-alive without pipelining was unaffected.
 * A pipelined static benchmark should report which setting it used.
 */
export function writeNginxConfig({ dir, port, root, extraHttp = '', sendfile = true, tcpNopush = true }) {
  // Under root, nginx's workers would switch to "nobody" and then fail to read
  // a 0700 temp dir; run them as the current user instead.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};` : '';
  const mimeTypes = existsSync(SYSTEM_MIME_TYPES)
    ? `include ${SYSTEM_MIME_TYPES};`
    : 'types { text/html html; text/plain txt; text/css css; application/javascript js; image/png png; }';
  const config = `# Written by bench/lib/nginx.mjs for one benchmark run.
${user}
daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;

events {
  worker_connections 4096;
}

http {
  ${mimeTypes}
  default_type application/octet-stream;
  access_log off;
  sendfile ${sendfile ? 'on' : 'off'};
  tcp_nopush ${tcpNopush ? 'on' : 'off'};
  tcp_nodelay on;
  keepalive_timeout 65;
  # nginx closes a keep-alive connection after 1000 requests by default;
  # the Node servers never do, so neither does nginx here.
  keepalive_requests 1000000;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  ${extraHttp}

  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`;
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, config);
  return path;
}

/**
 * A ServerSpec (see server.mjs) for nginx serving `root` on `port` (get one
 * from `freePort()`); the other options are writeNginxConfig's. The temp dir
 * is removed when the server stops.
 */
export function nginxServer({ port, root, name = 'nginx', ...config }) {
  requireCommand('nginx', 'install it with `apt-get install -y nginx`');
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-nginx-'));
  const configPath = writeNginxConfig({ dir, port, root, ...config });
  return {
    name,
    // -e: the error log before the config is read (nginx >= 1.19.5); -p: prefix for relative paths.
    command: ['nginx', '-p', dir, '-e', join(dir, 'error.log'), '-c', configPath],
    port,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
