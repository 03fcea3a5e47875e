import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choosePrecompressed, sidecarCoding, sidecarPath } from '../../src/compress/precompressed.js';

test('sidecar names', () => {
  assert.equal(sidecarPath('/srv/app.js', 'br'), '/srv/app.js.br');
  assert.equal(sidecarPath('/srv/app.js', 'gzip'), '/srv/app.js.gz');
  assert.equal(sidecarCoding('/srv/app.js.br'), 'br');
  assert.equal(sidecarCoding('/srv/app.js.gz'), 'gzip');
  assert.equal(sidecarCoding('/srv/app.js'), undefined);
});

test('choosePrecompressed picks among the sidecars that exist', () => {
  assert.equal(choosePrecompressed('gzip, deflate, br', ['gzip', 'br']), 'br');
  assert.equal(choosePrecompressed('gzip, deflate, br', ['gzip']), 'gzip');
  assert.equal(choosePrecompressed('br;q=1, gzip;q=0.5', ['gzip']), 'gzip', 'free beats better');
  assert.equal(choosePrecompressed('gzip;q=1, br;q=0.5', ['gzip', 'br']), 'gzip');
  assert.equal(choosePrecompressed('gzip', ['br']), undefined);
  assert.equal(choosePrecompressed('gzip;q=0, br;q=0', ['gzip', 'br']), undefined);
  assert.equal(choosePrecompressed('*', ['gzip']), 'gzip');
  assert.equal(choosePrecompressed('identity', ['gzip', 'br']), undefined);
  assert.equal(choosePrecompressed('identity, gzip;q=0.5', ['gzip']), undefined, 'the client prefers identity');
  assert.equal(choosePrecompressed(undefined, ['gzip', 'br']), undefined, 'absent field: identity');
  assert.equal(choosePrecompressed('', ['gzip', 'br']), undefined);
  assert.equal(choosePrecompressed('gzip, br', []), undefined);
  assert.equal(choosePrecompressed('gzip, br', ['gzip', 'br'], ['gzip', 'br']), 'gzip', 'custom preference');
  assert.equal(choosePrecompressed('br', ['br'], ['gzip']), undefined, 'coding not offered');
});
