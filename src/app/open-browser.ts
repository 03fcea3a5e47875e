/**
 * --open: the site in the user's browser, through $BROWSER when set, else
 * the platform's opener (open, xdg-open, start). A failure is one line on
 * stderr, never fatal: the URL is printed anyway.
 */
import { spawn } from 'node:child_process';

function opener(url: string): [string, string[]] {
  const browser = process.env.BROWSER;
  if (browser !== undefined && browser !== '') return [browser, [url]];
  if (process.platform === 'darwin') return ['open', [url]];
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '""', url]];
  return ['xdg-open', [url]];
}

export function openBrowser(url: string, log: (message: string) => void): void {
  const [command, args] = opener(url);
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.on('error', (err) => log(`cannot open a browser (${command}: ${(err as NodeJS.ErrnoException).code ?? err.message}); open ${url}`));
    child.unref();
  } catch (err) {
    log(`cannot open a browser (${command}: ${(err as Error).message}); open ${url}`);
  }
}
