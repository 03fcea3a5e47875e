/** Requests for the compression tests, without a server. */
import { FieldList } from '../../src/http/fields.js';
import type { HTTPReq } from '../../src/http/types.js';

export function request(method = 'GET', fields: Record<string, string> = {}, path = '/'): HTTPReq {
  const headers = new FieldList();
  for (const [name, value] of Object.entries(fields)) headers.add(name, value);
  return {
    method,
    target: path,
    path,
    query: '',
    version: '1.1',
    headers,
    authority: 'localhost',
    remoteAddress: '127.0.0.1',
    secure: false,
  };
}
