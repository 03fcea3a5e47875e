/**
 * A file server with custom headers: serveStatic for a directory, wrapped by
 * a handler that adds security headers and a long cache lifetime for
 * fingerprinted assets, with an access log.
 *
 *   node dist/examples/file-server.js --port 3001 --dir ./public
 */
import { parseArgs } from 'node:util';
import { accessLog, createServer, serveStatic, withCompression, type Handler } from 'weft-server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3001' },
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string', default: '.' },
  },
});

const files = serveStatic(values.dir!, { listing: false });
const assets = serveStatic(values.dir!, { listing: false, maxAge: 31_536_000, immutable: true });

const site: Handler = async (req, body) => {
  // Names like app.3f9a2c.js never change: let browsers keep them for a year.
  const fingerprinted = /\.[0-9a-f]{6,}\.(?:js|css|woff2)$/.test(req.path);
  const res = await (fingerprinted ? assets : files)(req, body);
  return {
    ...res,
    headers: {
      ...res.headers,
      'content-security-policy': "default-src 'self'",
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    },
  };
};

const log = accessLog('combined');
const server = await createServer(withCompression(site), { onResponse: log.record }).listen({
  port: Number(values.port),
  host: values.host,
});
console.log(`file-server listening on http://${server.host}:${server.port}/ (serving ${values.dir})`);
process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
