/**
 * weft's side of bench/static.mjs and bench/compress.mjs: the built package
 * (dist/, `npm run build`) serving files with serveStatic. WEFT_MOUNTS is a
 * JSON list of `{ "prefix": "/small", "root": "/tmp/x/small", "options": {...} }`:
 * a request under a prefix is served from that root with those options
 * (serveStatic's `prefix` option), so one server can hold a cached and an
 * uncached mount side by side. Listens on 127.0.0.1:$PORT (default: any port).
 *
 *   PORT=8080 WEFT_MOUNTS='[{"prefix":"/a","root":"/srv/a","options":{}}]' node bench/servers/static-weft.mjs
 */
import { createServer, serveStatic } from '../../dist/index.js';

const mounts = JSON.parse(process.env.WEFT_MOUNTS ?? '[]').map(({ prefix, root, options }) => ({
  under: `${prefix}/`,
  handler: serveStatic(root, { ...options, prefix }),
}));
if (mounts.length === 0) throw new Error('WEFT_MOUNTS lists no mount');

const server = createServer((req, body) => {
  for (const m of mounts) if (req.path.startsWith(m.under)) return m.handler(req, body);
  return { code: 404 };
});
await server.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log('listening on 127.0.0.1:' + server.port);
