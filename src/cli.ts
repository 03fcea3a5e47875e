#!/usr/bin/env node
/**
 * The `weft` command: serves a directory (default: the bundled demo site),
 * optionally with the demo routes, over HTTP or HTTPS, in one process or in
 * several workers. `weft --help` lists the flags.
 */
import cluster from 'node:cluster';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { accessLog } from './app/access-log.js';
import { CliError, HELP, parseCli, type CliConfig } from './app/cli-options.js';
import { onShutdownRequest, runPrimary } from './app/cluster.js';
import { createDemoFiles, type DemoFiles } from './app/demo-files.js';
import { buildSite } from './app/site.js';
import { primaryRelays, siteBus } from './app/site-bus.js';
import { createServer } from './http/server.js';
import { createHub } from './pubsub/hub.js';

const DEMO_SITE = fileURLToPath(new URL('../demo/', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../package.json', import.meta.url));

function fail(message: string, code = 1): never {
  console.error(`weft: ${message}`);
  process.exit(code);
}

function readTls(config: CliConfig): { cert: Buffer; key: Buffer } | undefined {
  if (config.tlsCert === null || config.tlsKey === null) return undefined;
  try {
    return { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) };
  } catch (err) {
    return fail(`cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
}

/** The URL(s) to print for a bound address. */
function urls(scheme: string, host: string, port: number): string {
  if (host !== '0.0.0.0' && host !== '::') return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  const addrs = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4')
    .map((a) => `${scheme}://${a!.address}:${port}/`);
  return addrs.join(' ');
}

async function serve(config: CliConfig, root: string, inWorker: boolean): Promise<void> {
  const tls = readTls(config);
  let demoFiles: DemoFiles | null = null;
  let demoDir = process.env.WEFT_DEMO_FILES;
  if (config.demo && demoDir === undefined) {
    demoFiles = await createDemoFiles();
    demoDir = demoFiles.dir;
  }
  // The demo chat room's hub; its bus reaches the other workers or machines.
  const hub = config.demo ? createHub({ bus: siteBus(config, inWorker) }) : null;
  const handler = buildSite({ ...config, root, demoFiles: config.demo ? demoDir : undefined, demoOptions: hub ? { hub } : undefined });
  const log = config.log === 'off' ? null : accessLog(config.log);
  const server = createServer(handler, { onResponse: log === null ? undefined : log.record });
  try {
    await server.listen({ port: config.port, host: config.host, tls });
  } catch (err) {
    await demoFiles?.remove();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') fail(`port ${config.port} on ${config.host} is already in use (try --port 0 for any free port)`);
    if (code === 'EACCES') fail(`no permission to listen on port ${config.port} (ports below 1024 need privileges)`);
    fail(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  if (!inWorker && !config.quiet) {
    console.log(`weft listening on ${urls(tls ? 'https' : 'http', server.host, server.port)} (serving ${root})`);
  }

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) process.exit(1); // a second signal: stop waiting
    stopping = true;
    void server.close().then(async () => {
      await hub?.close();
      log?.flush();
      await demoFiles?.remove();
      process.exit(0);
    });
  };
  if (inWorker) onShutdownRequest(shutdown);
  else {
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  }
  if (tls !== undefined) process.on('SIGHUP', () => server.setSecureContext(readTls(config)!));
}

async function main(): Promise<void> {
  let command;
  try {
    command = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof CliError) fail(`${err.message}\nTry 'weft --help'.`, 2);
    throw err;
  }
  if (command.kind === 'help') return void process.stdout.write(HELP);
  if (command.kind === 'version') {
    return void console.log(JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')).version);
  }
  const config = command.config;
  const root = config.dir ?? DEMO_SITE;
  try {
    if (!statSync(root).isDirectory()) fail(`${root} is not a directory`);
  } catch {
    fail(`${root}: no such directory`);
  }

  if (config.workers > 1 && cluster.isPrimary) {
    if (config.demo) {
      const { dir } = await createDemoFiles();
      process.env.WEFT_DEMO_FILES = dir; // inherited by the workers
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    runPrimary({
      workers: config.workers,
      relayPubSub: primaryRelays(config),
      shutdownTimeout: 10_000,
      onListening: ({ address, port }) => {
        if (!config.quiet) {
          console.log(`weft listening on ${urls(config.tlsCert ? 'https' : 'http', address, port)} (serving ${root}, ${config.workers} workers)`);
        }
      },
      log: (m) => console.error(`weft: ${m}`),
    });
    return;
  }
  await serve(config, root, cluster.isWorker);
}

await main();
