/**
 * From a parsed command line to the settings the command runs with: which
 * directory, which config file (--config, else weft.json in the served
 * directory), the file's settings under the flags'. Run at start and again
 * on every SIGHUP, so a reload sees exactly what a restart would.
 */
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CliCommand } from './cli-options.js';
import { CONFIG_FILE_NAME, mergeSettings, type Settings, type SettingsInput } from './settings.js';
import { loadSiteConfig } from './site-config.js';

export type ServeCommand = Extract<CliCommand, { kind: 'serve' }>;

export type CommandSettings = {
  settings: Settings;
  /** The config file read (absolute), or null. */
  configFile: string | null;
};

/** Settings a running server cannot change: a reload that changes them says they wait for a restart. */
const RESTART_ONLY = ['port', 'host', 'workers', 'log', 'quiet', 'demo', 'shutdownTimeout', 'pubsub'] as const;

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * Resolves the settings. `demoSite` is served by --demo without a
 * directory. Throws SiteConfigError for a broken config file and Error for
 * a root that is not a directory or a file's pubsub without --demo.
 */
export async function resolveSettings(command: ServeCommand, demoSite: string, cwd = process.cwd()): Promise<CommandSettings> {
  const dir = command.dir === null ? null : resolve(cwd, command.dir);
  const flags: SettingsInput = { ...command.flags };
  if (flags.tls) flags.tls = { cert: resolve(cwd, flags.tls.cert), key: resolve(cwd, flags.tls.key) };

  let configFile: string | null = null;
  if (command.configFile !== null) configFile = resolve(cwd, command.configFile);
  else if (!command.noConfig && !(flags.demo && dir === null)) {
    const candidate = join(dir ?? cwd, CONFIG_FILE_NAME);
    if (isFile(candidate)) configFile = candidate;
  }
  const { root: fileRoot, ...file } = configFile === null ? {} : await loadSiteConfig(configFile);

  const fallbackRoot = flags.demo ? demoSite : command.configFile !== null ? dirname(configFile!) : cwd;
  const root = dir ?? fileRoot ?? fallbackRoot;
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    throw new Error(`${root}: no such directory`);
  }
  if (!isDir) throw new Error(`${root} is not a directory`);
  const settings = mergeSettings(root, file, flags);
  // With --pubsub, parseCli has checked this already: here the pubsub is the file's.
  if (settings.pubsub !== null && !settings.demo) throw new Error(`${configFile}: pubsub carries the demo chat room: use it with --demo`);
  return { settings, configFile };
}

/** The restart-only settings that differ between two configs, by name. */
export function restartOnlyChanges(before: Settings, after: Settings): string[] {
  const changed: string[] = RESTART_ONLY.filter((k) => before[k] !== after[k]);
  // A reload replaces the certificate; whether the listener speaks TLS at all was decided at start.
  if ((before.tls === null) !== (after.tls === null)) changed.push('tls');
  return changed;
}
