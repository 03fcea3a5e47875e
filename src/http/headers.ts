/**
 * Case-insensitive access to a response's header record: handlers spell
 * names as they like ("ETag", "etag"), and the layers that adjust responses
 * (compression, CORS, ...) must find, replace and remove them whatever the
 * spelling.
 */
import type { HeaderValue, ResponseHeaders } from './types.js';

/** The key under which `name` is stored, or undefined. */
export function headerKey(headers: ResponseHeaders | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (Object.hasOwn(headers, name)) return name;
  const lower = name.toLowerCase();
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) return key;
  return undefined;
}

/** The field's value as one string (several lines joined with ", "), or undefined. */
export function headerText(headers: ResponseHeaders | undefined, name: string): string | undefined {
  const key = headerKey(headers, name);
  return key === undefined ? undefined : joinValue(headers![key]!);
}

export function joinValue(value: HeaderValue): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : value.join(', ');
}

/** Sets a field, keeping the spelling of an existing key and dropping other spellings of it. */
export function setHeader(headers: ResponseHeaders, name: string, value: HeaderValue): void {
  const key = headerKey(headers, name) ?? name;
  deleteHeader(headers, name);
  headers[key] = value;
}

/** Removes every spelling of a field. */
export function deleteHeader(headers: ResponseHeaders, name: string): void {
  const lower = name.toLowerCase();
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) delete headers[key];
}
