#!/usr/bin/env node
/**
 * The `weft` command.
 *
 *   weft [--port 8080] [--host 127.0.0.1] [--demo]
 */
import { parseArgs } from 'node:util';
import { addDemoRoutes } from './app/demo.js';
import { router } from './app/router.js';
import { createServer } from './http/server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', short: 'p', default: process.env.PORT ?? '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    demo: { type: 'boolean', default: false },
  },
});

const app = router();
if (values.demo) addDemoRoutes(app);
else app.get('/', () => ({ code: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: undefined }));

const server = createServer(app);
try {
  await server.listen({ port: Number(values.port), host: values.host });
} catch (err) {
  console.error(`weft: cannot listen on ${values.host}:${values.port}: ${(err as Error).message}`);
  process.exit(1);
}
console.log(`weft listening on http://${values.host}:${server.port}/`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
