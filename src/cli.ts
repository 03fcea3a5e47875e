#!/usr/bin/env node
/**
 * The `weft` command: serves a directory (default: the current one) over
 * HTTP or HTTPS, with a site config file's rules, in one process or in
 * several workers; `--demo` serves the bundled demo site and its routes;
 * `weft hash-password` prints a password hash. `weft --help` lists the flags.
 */
import cluster from 'node:cluster';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { accessLog } from './app/access-log.js';
import { localUrl, networkUrls } from './app/addresses.js';
import { CliError, HASH_PASSWORD_HELP, HELP, parseCli } from './app/cli-options.js';
import { onPrimaryRequests, reportDraining, reportFatal, runPrimary } from './app/cluster.js';
import { resolveSettings, restartOnlyChanges, type CommandSettings, type ServeCommand } from './app/command-settings.js';
import { createDemoFiles } from './app/demo-files.js';
import { htmlErrors } from './app/error-pages.js';
import { hashPasswordCommand } from './app/hash-password-command.js';
import { openBrowser } from './app/open-browser.js';
import type { Settings } from './app/settings.js';
import { buildSite, resolveUsers } from './app/site.js';
import { primaryRelays, siteBus } from './app/site-bus.js';
import { loadTls, type TlsMaterial } from './app/tls-files.js';
import { createServer, type Server } from './http/server.js';
import type { Handler } from './http/types.js';
import { createHub, type Hub } from './pubsub/hub.js';
import { coalesced } from './sync/coalesce.js';

const DEMO_SITE = fileURLToPath(new URL('../demo/', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../package.json', import.meta.url));
/** The demo's generated files, made once by the primary and shared with its workers. */
const DEMO_FILES_ENV = 'WEFT_DEMO_FILES';

const say = (message: string): void => console.error(`weft: ${message}`);

/** A mistake that stops the command at start: one line (or one per config mistake), exit 1. */
async function fail(message: string): Promise<never> {
  if (cluster.isWorker) return reportFatal(message);
  say(message);
  process.exit(1);
}

/** The settings, or a fatal message. */
async function startSettings(command: ServeCommand): Promise<CommandSettings> {
  try {
    return await resolveSettings(command, DEMO_SITE);
  } catch (err) {
    return fail((err as Error).message);
  }
}

async function startTls(settings: Settings): Promise<TlsMaterial | undefined> {
  if (settings.tls === null) return undefined;
  try {
    return loadTls(settings.tls);
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** The demo's generated files: the primary's (inherited), or made here and removed at exit, forced or not. */
async function demoFilesDir(): Promise<string> {
  const inherited = process.env[DEMO_FILES_ENV];
  if (inherited !== undefined) return inherited;
  const { dir } = await createDemoFiles();
  process.env[DEMO_FILES_ENV] = dir; // inherited by workers
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Builds the site's handler for `s` (hashing passwords given on the command
 * line). The demo chat room is a topic of `hub`, which outlives reloads: the
 * members who joined before one still hear those who join after it.
 */
async function siteHandler(s: CommandSettings, demoFiles: string | undefined, hub: Hub | null): Promise<Handler> {
  const users = s.settings.auth === null ? undefined : await resolveUsers(s.settings.auth);
  return buildSite({
    settings: s.settings,
    users,
    demoFiles,
    demoOptions: hub === null ? undefined : { hub },
    hiddenFiles: s.configFile === null ? [] : [s.configFile],
  });
}

function printBanner(s: CommandSettings, host: string, port: number, extra = ''): void {
  const { settings, configFile } = s;
  if (settings.quiet) return;
  const scheme = settings.tls ? 'https' : 'http';
  const config = configFile === null ? '' : `, config ${configFile}`;
  console.log(`weft listening on ${localUrl(scheme, host, port)} (serving ${settings.root}${config}${extra})`);
  for (const url of networkUrls(scheme, host, port)) console.log(`  on your network: ${url}`);
  if (settings.open) openBrowser(localUrl(scheme, host, port), say);
}

const waitingMessage = (connections: number, timeoutMs: number): string =>
  `shutting down: waiting for ${connections} connection${connections === 1 ? '' : 's'} (${Math.round(timeoutMs / 1000)} s; Ctrl-C again to force)`;

/** Graceful close; `report` learns how many connections with a request in progress it waits for. */
async function drain(server: Server, report: (connections: number) => void): Promise<void> {
  const closing = server.close();
  report(server.busy);
  await closing;
}

/** Settings re-read on SIGHUP, with the certificate and key they name, read and checked. */
type Reloaded = { next: CommandSettings; tls: TlsMaterial | undefined };

/**
 * Re-reads the settings (SIGHUP). Returns them, or null after one message
 * when they are broken (the caller keeps its old ones).
 */
async function reloadSettings(command: ServeCommand, before: CommandSettings, announce: boolean): Promise<Reloaded | null> {
  let next: CommandSettings;
  let tls: TlsMaterial | undefined;
  try {
    next = await resolveSettings(command, DEMO_SITE);
    if (next.settings.tls !== null) tls = loadTls(next.settings.tls);
  } catch (err) {
    const lines = (err as Error).message.split('\n');
    say(`SIGHUP: not reloaded, the old config and certificate stay: ${lines.length === 1 ? lines[0] : `\n${lines.join('\n')}`}`);
    return null;
  }
  if (announce && !next.settings.quiet) {
    const waiting = restartOnlyChanges(before.settings, next.settings);
    const note = waiting.length === 0 ? '' : ` (${waiting.join(', ')}: at the next start)`;
    const certificate = before.settings.tls !== null && next.settings.tls !== null ? ' and the certificate' : '';
    say(`reloaded ${next.configFile ?? 'the settings'}${certificate}${note}`);
  }
  return { next, tls };
}

/** One server process: the only one, or a worker. */
async function serve(command: ServeCommand, initial: CommandSettings): Promise<void> {
  const inWorker = cluster.isWorker;
  let current = initial;
  const { settings } = current;
  const tls = await startTls(settings);
  const demoFiles = settings.demo ? await demoFilesDir() : undefined;
  // The demo chat room's hub; its bus reaches the other workers or machines.
  const hub = settings.demo ? createHub({ bus: siteBus(settings, inWorker) }) : null;
  let handler = await siteHandler(current, demoFiles, hub);
  const log = settings.log === 'off' ? null : accessLog(settings.log);
  const server = createServer((req, body) => handler(req, body), {
    onResponse: log === null ? undefined : log.record,
    formatError: htmlErrors,
    shutdownTimeout: settings.shutdownTimeout,
  });
  try {
    await server.listen({ port: settings.port, host: settings.host, tls });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') await fail(`port ${settings.port} on ${settings.host} is already in use (try --port 0 for any free port)`);
    if (code === 'EACCES') await fail(`no permission to listen on port ${settings.port} (ports below 1024 need privileges)`);
    await fail(`cannot listen on ${settings.host}:${settings.port}: ${(err as Error).message}`);
  }
  if (!inWorker) printBanner(current, server.host, server.port);

  // One reload at a time; SIGHUPs during a reload make one more, of the latest files.
  const reloadOnce = coalesced(async (): Promise<void> => {
    const reloaded = await reloadSettings(command, current, !inWorker);
    if (reloaded === null) return;
    try {
      const nextHandler = await siteHandler(reloaded.next, demoFiles, hub);
      if (tls !== undefined && reloaded.tls !== undefined) server.setSecureContext(reloaded.tls);
      handler = nextHandler;
      current = reloaded.next;
    } catch (err) {
      say(`SIGHUP: not reloaded, the old config and certificate stay: ${(err as Error).message}`);
    }
  });
  const reload = (): void => void reloadOnce();
  const shutdown = (): void => {
    void drain(server, (n) => {
      if (inWorker) reportDraining(n);
      else if (n > 0 && !settings.quiet) say(waitingMessage(n, settings.shutdownTimeout));
    }).then(async () => {
      await hub?.close();
      log?.flush();
      process.exit(0);
    });
  };
  const force = (): void => {
    // Cut what still runs now: the responses cut off are logged as aborted.
    void server.close({ force: true }).then(() => {
      log?.flush();
      process.exit(1); // the exit handler still removes the demo's files
    });
  };

  if (inWorker) {
    onPrimaryRequests({ shutdown, force, reload });
    return;
  }
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) return force();
    stopping = true;
    shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', reload);
}

/** The primary of --workers N: checks the settings, makes the demo's files once, supervises. */
async function supervise(command: ServeCommand, initial: CommandSettings): Promise<void> {
  let current = initial;
  const { settings } = current;
  await startTls(settings);
  if (settings.demo) await demoFilesDir();
  runPrimary({
    workers: settings.workers,
    relayPubSub: primaryRelays(settings),
    shutdownTimeout: settings.shutdownTimeout,
    onListening: ({ address, port }) => printBanner(current, address, port, `, ${settings.workers} workers`),
    onFatal: say,
    onDraining: (n) => {
      if (n > 0 && !settings.quiet) say(waitingMessage(n, settings.shutdownTimeout));
    },
    reload: async () => {
      const reloaded = await reloadSettings(command, current, true);
      if (reloaded === null) return false;
      current = reloaded.next;
      return true;
    },
    log: say,
  });
}

async function main(): Promise<void> {
  let command;
  try {
    command = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    say(`${err.message}\nTry 'weft --help'.`);
    process.exit(2);
  }
  switch (command.kind) {
    case 'help':
      return void process.stdout.write(command.topic === 'serve' ? HELP : HASH_PASSWORD_HELP);
    case 'version':
      return void console.log(JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')).version);
    case 'hash-password':
      process.exitCode = await hashPasswordCommand();
      return;
  }
  const initial = await startSettings(command);
  if (cluster.isPrimary && initial.settings.workers > 1) return supervise(command, initial);
  await serve(command, initial);
}

await main();
