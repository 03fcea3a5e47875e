/** Shared helpers for tests: real sockets on 127.0.0.1 and child processes. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Connects a plain client socket. */
export async function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const s = net.connect({ port, host, noDelay: true });
  await once(s, 'connect');
  return s;
}

/** Collects everything a socket receives until the peer closes it. */
export function readToEnd(s: net.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (d: Buffer) => parts.push(d));
  return new Promise((resolve, reject) => {
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(parts)));
  });
}

/**
 * What `s` received until it closed, however it closed: for an attacker that
 * keeps writing after the server closes, whose kernel then sees a reset.
 */
export function readUntilClosed(s: net.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (d: Buffer) => parts.push(d));
  s.on('error', () => {});
  return new Promise((resolve) => s.on('close', () => resolve(Buffer.concat(parts))));
}

/** Resolves once `s` has received at least `n` bytes (or closed); returns them. */
export function readBytes(s: net.Socket, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  return new Promise((resolve, reject) => {
    const done = (): void => {
      s.off('data', onData);
      s.off('close', done);
      s.off('error', reject);
      resolve(Buffer.concat(parts));
    };
    const onData = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) done();
    };
    s.on('data', onData);
    s.on('close', done);
    s.on('error', reject);
  });
}

export type Program = { port: number; child: ChildProcess; stop: () => Promise<void> };

/**
 * Starts `node <script> --port 0 ...args` and waits for the line it prints
 * with "listening on <host>:<port>" (or a URL with a port).
 */
export async function startProgram(script: string, args: string[] = []): Promise<Program> {
  const child = spawn(process.execPath, [script, '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /:(\d+)\b/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${out}`)));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  return { port, child, stop };
}

/** True when every command is on PATH (tests that need curl, nc, openssl skip otherwise). */
export function hasCommands(...names: string[]): boolean {
  try {
    for (const name of names) execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export type TestCert = { key: string; cert: string; keyFile: string; certFile: string };

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl into `dir`. */
export function makeSelfSignedCert(dir: string, name = 'localhost'): TestCert {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), keyFile, certFile };
}

/** Polls `cond` every 5 ms until it holds (for state a test cannot await, such as a server's counters). */
export async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}
