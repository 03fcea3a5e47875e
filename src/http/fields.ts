/**
 * Header fields (RFC 9110 §5): the received field lines, kept as they came,
 * with case-insensitive lookup and the list syntax most fields use.
 */

/** Field lines of a request head (or of a chunked body's trailer section). */
export class FieldList {
  /** Field names exactly as received. */
  readonly names: string[];
  /** The same names, lower-cased, for lookup. */
  readonly keys: string[];
  /** Field values, without leading or trailing whitespace. Latin-1: one char per byte. */
  readonly values: string[];

  /**
   * An empty list, or, given `lines`, one of that many lines that the caller
   * sets by index at once (a parser that counted them first): sized exactly,
   * where an empty array takes 17 slots at its first push, and three of them
   * were a third of what a request allocated.
   */
  constructor(lines?: number) {
    if (lines === undefined) {
      this.names = [];
      this.keys = [];
      this.values = [];
    } else {
      this.names = new Array<string>(lines);
      this.keys = new Array<string>(lines);
      this.values = new Array<string>(lines);
    }
  }

  get length(): number {
    return this.names.length;
  }

  add(name: string, value: string): void {
    this.addLowered(name, name.toLowerCase(), value);
  }

  /** add() for a name whose lower-cased form is known already. */
  addLowered(name: string, key: string, value: string): void {
    this.setLowered(this.names.length, name, key, value);
  }

  /** Sets line `i`: an existing one, one of a sized list, or the next one (add). */
  setLowered(i: number, name: string, key: string, value: string): void {
    this.names[i] = name;
    this.keys[i] = key;
    this.values[i] = value;
  }

  has(name: string): boolean {
    return this.keys.indexOf(name.toLowerCase()) >= 0;
  }

  /**
   * The field's value; repeated field lines are joined with ", " as RFC 9110
   * §5.3 allows. Undefined when absent.
   */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    const keys = this.keys;
    let found: string | undefined;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === key) found = found === undefined ? this.values[i] : `${found}, ${this.values[i]}`;
    }
    return found;
  }

  /** Every field line's value for `name`, in order. */
  getAll(name: string): string[] {
    const key = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === key) out.push(this.values[i]!);
    return out;
  }

  /** The elements of a list-valued field across all its lines (see splitList). */
  list(name: string): string[] {
    const out: string[] = [];
    for (const v of this.getAll(name)) splitList(v, out);
    return out;
  }

  /** [raw name, value] pairs in the order received. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.names.length; i++) yield [this.names[i]!, this.values[i]!];
  }
}

/**
 * Splits a list-valued field (`#element`, RFC 9110 §5.6.1) on commas that are
 * not inside a quoted string, trimming whitespace and dropping empty elements.
 * Quoted strings are kept as written (quotes included).
 */
export function splitList(value: string, out: string[] = []): string[] {
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) quoted = false;
    } else if (c === 0x22) {
      quoted = true;
    } else if (c === 0x2c /* , */) {
      pushTrimmed(value, start, i, out);
      start = i + 1;
    }
  }
  pushTrimmed(value, start, value.length, out);
  return out;
}

function pushTrimmed(s: string, from: number, to: number, out: string[]): void {
  while (from < to && isOWS(s.charCodeAt(from))) from++;
  while (to > from && isOWS(s.charCodeAt(to - 1))) to--;
  if (to > from) out.push(s.slice(from, to));
}

const isOWS = (c: number): boolean => c === 0x20 || c === 0x09;

/** tchar (RFC 9110 §5.6.2), as a lookup table over byte values. */
export const TCHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of "!#$%&'*+-.^_`|~") t[c.charCodeAt(0)] = 1;
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  return t;
})();

/** True if `s` is a non-empty token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TCHAR[c] === 0) return false;
  }
  return true;
}

/** An element of a weighted list such as Accept-Encoding: `value;q=0.5;k=v`. */
export type Weighted = {
  /** The value, lower-cased (media ranges and codings are case-insensitive). */
  value: string;
  /** Quality 0..1 (RFC 9110 §12.4.2); 1 when absent. */
  q: number;
  /** Other parameters, names lower-cased, values unquoted. */
  params: Record<string, string>;
};

const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Parses a weighted list (Accept, Accept-Encoding, ...). Elements whose
 * syntax is invalid (a bad qvalue, a value that is not a token or media
 * range) are dropped, as a recipient may do with what it cannot parse.
 */
export function parseWeightedList(value: string): Weighted[] {
  const out: Weighted[] = [];
  for (const element of splitList(value)) {
    const parts = splitParams(element);
    const v = parts[0]!.toLowerCase();
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+(?:\/[!#$%&'*+\-.^_`|~0-9a-z]+)?$/.test(v)) continue;
    let q = 1;
    let ok = true;
    const params: Record<string, string> = {};
    for (let i = 1; i < parts.length; i++) {
      const p = parts[i]!;
      const eq = p.indexOf('=');
      if (eq <= 0) {
        ok = false;
        break;
      }
      const name = p.slice(0, eq).trim().toLowerCase();
      let val = p.slice(eq + 1).trim();
      if (name === 'q') {
        if (!QVALUE.test(val)) {
          ok = false;
          break;
        }
        q = Number(val);
      } else {
        if (val.startsWith('"')) val = unquote(val) ?? '';
        params[name] = val;
      }
    }
    if (ok) out.push({ value: v, q, params });
  }
  return out;
}

/**
 * The quality a parsed Accept list gives the media type `type` ("text/html"):
 * that of the most specific range matching it (RFC 9110 §12.5.1), 0 if none.
 */
export function mediaRangeQuality(list: readonly Weighted[], type: string): number {
  const anySubtype = type.slice(0, type.indexOf('/')) + '/*';
  let best = 0;
  let q = 0;
  for (const w of list) {
    const specificity = w.value === type ? 3 : w.value === anySubtype ? 2 : w.value === '*/*' ? 1 : 0;
    if (specificity > best) {
      best = specificity;
      q = w.q;
    }
  }
  return q;
}

/** Splits `a;b=c;d="e;f"` on semicolons outside quoted strings, trimmed. */
export function splitParams(element: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < element.length; i++) {
    const c = element.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3b /* ; */) {
      out.push(element.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(element.slice(start).trim());
  return out;
}

/** The content of a quoted-string (RFC 9110 §5.6.4), or null if malformed. */
export function unquote(s: string): string | null {
  if (s.length < 2 || s.charCodeAt(0) !== 0x22 || s.charCodeAt(s.length - 1) !== 0x22) return null;
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    let c = s[i]!;
    if (c === '\\') {
      if (++i >= s.length - 1) return null;
      c = s[i]!;
    } else if (c === '"') return null;
    out += c;
  }
  return out;
}
