/** What a reload says waits for the next start. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restartOnlyChanges } from '../../src/app/command-settings.js';
import { mergeSettings } from '../../src/app/settings.js';

test('a reload that turns HTTPS on or off says it waits for the next start; a new certificate does not', () => {
  const plain = mergeSettings('/site', {}, {});
  const https = mergeSettings('/site', { tls: { cert: '/a.crt', key: '/a.key' } }, {});
  const renewed = mergeSettings('/site', { tls: { cert: '/b.crt', key: '/b.key' } }, {});
  assert.deepEqual(restartOnlyChanges(plain, https), ['tls']);
  assert.deepEqual(restartOnlyChanges(https, plain), ['tls']);
  assert.deepEqual(restartOnlyChanges(https, renewed), []);
  assert.deepEqual(restartOnlyChanges(plain, mergeSettings('/site', { port: 9 }, {})), ['port']);
});
