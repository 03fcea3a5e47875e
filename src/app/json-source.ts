/**
 * JSON parsed with the position of every value, so that a configuration
 * file's mistakes can be reported at their line and column: the syntax
 * errors JSON.parse would throw, and afterwards the validator's complaints
 * about a value ("weft.json:12:15: status must be 301, 302, 307 or 308").
 * Duplicate keys are an error too (JSON.parse silently keeps the last).
 */

/** Where a value starts in the text: 1-based line and column. */
export type SourcePosition = { readonly line: number; readonly column: number };

/** A path into a JSON value: object keys and array indexes. */
export type JsonPath = readonly (string | number)[];

export type ParsedJson = {
  readonly value: unknown;
  /**
   * Where the value at `path` starts, or with `key` its key (the nearest
   * enclosing value's position if there is none at `path`).
   */
  positionOf(path: JsonPath, key?: boolean): SourcePosition;
};

/** A syntax error, at a position. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: SourcePosition,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** Deepest nesting accepted: a configuration file is shallow, a hostile one must not exhaust the stack. */
const MAX_DEPTH = 64;

const pathKey = (path: JsonPath): string => JSON.stringify(path);

/** Parses `text` as JSON (RFC 8259), recording where each value starts. Throws JsonSyntaxError. */
export function parseJsonWithPositions(text: string): ParsedJson {
  const positions = new Map<string, number>();
  const keyPositions = new Map<string, number>();
  let i = 0;

  const position = (offset: number): SourcePosition => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < offset && k < text.length; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    return { line, column: offset - lineStart + 1 };
  };
  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, position(at));
  };
  const describe = (at: number): string => (at >= text.length ? 'the end of the file' : JSON.stringify(text[at]));

  const skipSpace = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };

  const parseString = (): string => {
    const start = i;
    i++; // the opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in a string (write it as an escape)');
      if (c !== 0x5c) {
        out += text[i++];
        continue;
      }
      const e = text[i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && e in simple) {
        out += simple[e];
        i += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        fail('invalid escape in a string');
      }
    }
  };

  const parseNumber = (): number => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null) return fail(`unexpected ${describe(i)}`);
    i += m[0].length;
    return Number(m[0]);
  };

  const parseValue = (path: (string | number)[]): unknown => {
    skipSpace();
    if (path.length > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    positions.set(pathKey(path), i);
    const c = text[i];
    if (c === '{') return parseObject(path);
    if (c === '[') return parseArray(path);
    if (c === '"') return parseString();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return parseNumber();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return fail(`unexpected ${describe(i)}: expected a value`);
  };

  /** After an object's or an array's member: true past its closing bracket, false past a comma before the next one. */
  const closedAfterMember = (close: '}' | ']'): boolean => {
    skipSpace();
    if (text[i] === ',') {
      const comma = i++;
      skipSpace();
      if (text[i] === close) fail(`trailing comma before "${close}"`, comma);
      return false;
    }
    if (text[i] === close) {
      i++;
      return true;
    }
    return fail(`unexpected ${describe(i)}: expected "," or "${close}"`);
  };

  const parseObject = (path: (string | number)[]): Record<string, unknown> => {
    const out: Record<string, unknown> = Object.create(null);
    i++;
    skipSpace();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail(`unexpected ${describe(i)}: expected a key in double quotes`);
      const keyAt = i;
      const key = parseString();
      if (Object.prototype.hasOwnProperty.call(out, key)) fail(`duplicate key ${JSON.stringify(key)}`, keyAt);
      keyPositions.set(pathKey([...path, key]), keyAt);
      skipSpace();
      if (text[i] !== ':') fail(`unexpected ${describe(i)}: expected ":" after the key`);
      i++;
      out[key] = parseValue([...path, key]);
      if (closedAfterMember('}')) return out;
    }
  };

  const parseArray = (path: (string | number)[]): unknown[] => {
    const out: unknown[] = [];
    i++;
    skipSpace();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(parseValue([...path, out.length]));
      if (closedAfterMember(']')) return out;
    }
  };

  if (text.charCodeAt(0) === 0xfeff) i = 1; // a byte-order mark some editors write
  const value = parseValue([]);
  skipSpace();
  if (i < text.length) fail(`unexpected ${describe(i)} after the end of the value`);

  return {
    value,
    positionOf(path, key = false) {
      const at = key ? keyPositions.get(pathKey(path)) : undefined;
      if (at !== undefined) return position(at);
      for (let n = path.length; n >= 0; n--) {
        const at = positions.get(pathKey(path.slice(0, n)));
        if (at !== undefined) return position(at);
      }
      return { line: 1, column: 1 };
    },
  };
}
