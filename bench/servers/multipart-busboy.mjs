/**
 * The competitor in bench/multipart.mjs: node:http and busboy, doing what
 * multipart-weft.mjs does (every part read to the end, bytes counted).
 */
import { createServer } from 'node:http';
import busboy from 'busboy';
import { peakRssBytes } from './peak-rss.mjs';

const send = (res, code, value) => {
  const body = JSON.stringify(value);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') return send(res, 200, { peakRss: peakRssBytes() });
  if (req.method !== 'POST' || req.url !== '/upload') return send(res, 404, {});
  let parts = 0;
  let bytes = 0;
  const bb = busboy({ headers: req.headers });
  bb.on('file', (_name, stream) => {
    parts++;
    stream.on('data', (chunk) => (bytes += chunk.length));
  });
  bb.on('field', (_name, value) => {
    parts++;
    bytes += Buffer.byteLength(value);
  });
  bb.on('close', () => send(res, 200, { parts, bytes }));
  bb.on('error', () => send(res, 400, {}));
  req.pipe(bb);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log('listening on 127.0.0.1:' + server.address().port));
