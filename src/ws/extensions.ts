/**
 * The Sec-WebSocket-Extensions header (RFC 6455 §9.1): a list of extension
 * offers, each a name with parameters, and its serialisation for responses.
 *
 *   extension       = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" (token | quoted-string) ]
 *
 * A quoted value must be a token once unquoted (§9.1).
 */
import { isToken, splitList, splitParams, unquote } from '../http/fields.js';

/** One offered (or accepted) extension. */
export type ExtensionOffer = {
  /** Extension name, lower-cased. */
  name: string;
  /** Parameters in order: names lower-cased, `true` when the parameter has no value. */
  params: [string, string | true][];
};

/**
 * Parses every field line of the header into offers, in order. Returns null
 * when the syntax is invalid, which the handshake answers with 400.
 */
export function parseExtensions(values: readonly string[]): ExtensionOffer[] | null {
  const out: ExtensionOffer[] = [];
  for (const value of values) {
    for (const element of splitList(value)) {
      const parts = splitParams(element);
      const name = parts[0]!;
      if (!isToken(name)) return null;
      const params: [string, string | true][] = [];
      for (let i = 1; i < parts.length; i++) {
        const p = parts[i]!;
        const eq = p.indexOf('=');
        if (eq < 0) {
          if (!isToken(p)) return null;
          params.push([p.toLowerCase(), true]);
          continue;
        }
        const key = p.slice(0, eq).trimEnd();
        let val: string | null = p.slice(eq + 1).trimStart();
        if (val.startsWith('"')) val = unquote(val);
        if (!isToken(key) || val === null || !isToken(val)) return null;
        params.push([key.toLowerCase(), val]);
      }
      out.push({ name: name.toLowerCase(), params });
    }
  }
  return out;
}


/** Serialises an accepted extension for the response header. */
export function formatExtension(ext: ExtensionOffer): string {
  let s = ext.name;
  for (const [key, val] of ext.params) s += val === true ? `; ${key}` : `; ${key}=${val}`;
  return s;
}
