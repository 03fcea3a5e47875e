/**
 * The node:http competitor of bench/static.mjs (and, with GZIP=1, of
 * bench/compress.mjs): a competent minimal file server. Per request: map the
 * URL path under ROOT (no "..", no NUL), stat, answer 404 unless a regular
 * file, set Content-Type from the extension and Content-Length, then pipe
 * fs.createReadStream into the response. With GZIP=1 and a request that
 * accepts gzip, the stream goes through zlib.createGzip() instead (chunked,
 * Content-Encoding: gzip, Vary). Listens on 127.0.0.1:$PORT.
 *
 *   ROOT=/srv/www PORT=8080 [GZIP=1] node bench/servers/static-node.mjs
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';

const ROOT = process.env.ROOT;
if (!ROOT) throw new Error('ROOT is not set');
const GZIP = process.env.GZIP === '1';
const TYPES = { '.txt': 'text/plain; charset=utf-8', '.html': 'text/html; charset=utf-8', '.bin': 'application/octet-stream' };

const server = createServer(async (req, res) => {
  const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
  if (path.includes('..') || path.includes('\0')) {
    res.writeHead(400).end();
    return;
  }
  const file = join(ROOT, path);
  let st;
  try {
    st = await stat(file);
  } catch {
    st = null;
  }
  if (st === null || !st.isFile()) {
    res.writeHead(404, { 'Content-Length': 0 }).end();
    return;
  }
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const onError = (err) => {
    if (err) res.destroy();
  };
  if (GZIP && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
    res.writeHead(200, { 'Content-Type': type, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' });
    pipeline(createReadStream(file), createGzip(), res, onError);
    return;
  }
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': st.size });
  pipeline(createReadStream(file), res, onError);
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log('listening on 127.0.0.1:' + server.address().port);
});
