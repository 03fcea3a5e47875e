/**
 * The command's certificate and key files: read and checked (each file
 * alone, then the pair), with one message naming the file at fault and why.
 * At start a failure is fatal; on SIGHUP the server keeps its old context.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

export type TlsFiles = { readonly cert: string; readonly key: string };
export type TlsMaterial = { readonly cert: Buffer; readonly key: Buffer };

/** OpenSSL's reasons, made readable ("error:0480006C:PEM routines::no start line" → "no start line"). */
const reason = (err: unknown): string => (err as Error).message.replace(/^error:[0-9A-F]+:[^:]*:+/i, '');

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot read the TLS ${what} ${file}: ${e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message)}`);
  }
}

/** Reads and checks the pair; throws an Error whose message names the file and the reason. */
export function loadTls(files: TlsFiles): TlsMaterial {
  const cert = read(files.cert, 'certificate');
  const key = read(files.key, 'key');
  try {
    createSecureContext({ cert });
  } catch (err) {
    throw new Error(`the TLS certificate ${files.cert} is not usable: ${reason(err)} (a PEM certificate is expected)`);
  }
  try {
    createSecureContext({ key });
  } catch (err) {
    throw new Error(`the TLS key ${files.key} is not usable: ${reason(err)} (an unencrypted PEM private key is expected)`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`the TLS key ${files.key} does not go with the certificate ${files.cert}: ${reason(err)}`);
  }
  return { cert, key };
}
