/**
 * TCP echo: writes back exactly what it reads. Because every write is awaited
 * before the next read, a client that stops reading stops the server reading
 * from it too (backpressure): memory per connection stays bounded.
 *
 *   node dist/examples/tcp-echo.js --port 1234 [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import { listen, type Conn } from 'weft-server';

async function serveClient(conn: Conn): Promise<void> {
  try {
    for (;;) {
      const data = await conn.read();
      if (data.length === 0) break; // EOF: the peer half-closed
      await conn.write(data);
    }
    await conn.end();
  } catch {
    // A reset or failed write ends this connection only.
  } finally {
    conn.close();
  }
}

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
});
const listener = await listen({ port: Number(values.port), host: values.host });
console.log(`tcp-echo listening on ${listener.host}:${listener.port}`);
for (;;) {
  const conn = await listener.accept();
  void serveClient(conn);
}
