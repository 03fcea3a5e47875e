/** The addresses the command prints: localhost for a wildcard bind, the LAN ones beside it. */
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { localUrl, networkUrls } from '../../src/app/addresses.js';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({ address, family, internal }) as NetworkInterfaceInfo;
const interfaces = {
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('192.168.1.5', 'IPv4'), iface('fd00::2', 'IPv6'), iface('fe80::1', 'IPv6')],
};

test('0.0.0.0: IPv4 LAN addresses; ::: IPv6 too, link-local left out; a named host: none', () => {
  assert.equal(localUrl('http', '0.0.0.0', 80), 'http://localhost:80/');
  assert.equal(localUrl('https', '::1', 8443), 'https://[::1]:8443/');
  assert.deepEqual(networkUrls('http', '0.0.0.0', 8080, interfaces), ['http://192.168.1.5:8080/']);
  assert.deepEqual(networkUrls('http', '::', 8080, interfaces), ['http://192.168.1.5:8080/', 'http://[fd00::2]:8080/']);
  assert.deepEqual(networkUrls('http', '127.0.0.1', 8080, interfaces), []);
});
