/**
 * weft's side of bench/multipart.mjs: the built package's readMultipart()
 * reading every part of POST /upload to the end (bytes counted, not kept),
 * answering `{"parts": n, "bytes": n}`; GET /stats answers with the
 * process's peak RSS. Listens on 127.0.0.1:$PORT (default: any port).
 */
import { createServer, json, readMultipart, router } from '../../dist/index.js';
import { peakRssBytes } from './peak-rss.mjs';

const app = router()
  .post('/upload', async (req, body) => {
    let parts = 0;
    let bytes = 0;
    for await (const part of readMultipart(req, body)) {
      parts++;
      for (let chunk = await part.body.read(); chunk.length > 0; chunk = await part.body.read()) bytes += chunk.length;
    }
    return json({ parts, bytes });
  })
  .get('/stats', () => json({ peakRss: peakRssBytes() }));

const server = await createServer(app).listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log('listening on 127.0.0.1:' + server.port);
