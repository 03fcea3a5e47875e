/**
 * The addresses the command prints once it listens: the URL to open, and
 * with --host 0.0.0.0 or :: the machine's other addresses, for phones and
 * other computers on the same network.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

const ANY = new Set(['0.0.0.0', '::', '']);

const urlOf = (scheme: string, host: string, port: number): string =>
  `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/`;

/** The URL to show and open for a bound address: localhost for a wildcard address. */
export function localUrl(scheme: string, host: string, port: number): string {
  return urlOf(scheme, ANY.has(host) ? 'localhost' : host, port);
}

/**
 * URLs on the machine's non-loopback addresses, for a wildcard bind: IPv4
 * for 0.0.0.0, IPv4 and IPv6 for :: (dual-stack); link-local IPv6 left out
 * (it needs a zone index no browser takes in a URL). Empty otherwise.
 */
export function networkUrls(
  scheme: string,
  host: string,
  port: number,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string[] {
  if (!ANY.has(host)) return [];
  const v6 = host === '::';
  const out: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4' || (v6 && a.family === 'IPv6' && !a.address.toLowerCase().startsWith('fe80'))) {
        out.push(urlOf(scheme, a.address, port));
      }
    }
  }
  return out;
}
