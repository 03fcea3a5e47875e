import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasNoTransform, isCompressibleType, mediaTypeOf, shouldCompress } from '../../src/compress/compressible.js';
import { request } from './support.js';

test('mediaTypeOf drops parameters and case', () => {
  assert.equal(mediaTypeOf('Text/HTML; charset=UTF-8'), 'text/html');
  assert.equal(mediaTypeOf(' application/json '), 'application/json');
});

test('compressible media types', () => {
  for (const t of [
    'text/html',
    'text/css',
    'text/plain',
    'text/csv',
    'text/event-stream',
    'text/javascript',
    'application/json',
    'application/problem+json',
    'application/manifest+json',
    'application/ld+json',
    'application/javascript',
    'application/xml',
    'application/atom+xml',
    'image/svg+xml',
    'application/wasm',
    'application/x-ndjson',
    'application/yaml',
    'font/ttf',
    'image/x-icon',
  ]) {
    assert.equal(isCompressibleType(t), true, t);
  }
});

test('media types that are already compressed or unknown', () => {
  for (const t of [
    'image/png',
    'image/jpeg',
    'image/webp',
    'image/avif',
    'video/mp4',
    'audio/mpeg',
    'application/zip',
    'application/gzip',
    'application/x-gzip',
    'application/pdf',
    'font/woff',
    'font/woff2',
    'application/octet-stream',
    'application/vnd.something+zip',
    '',
  ]) {
    assert.equal(isCompressibleType(t), false, t);
  }
});

test('hasNoTransform finds the directive among others', () => {
  assert.equal(hasNoTransform('public, No-Transform, max-age=60'), true);
  assert.equal(hasNoTransform('public, max-age=60'), false);
  assert.equal(hasNoTransform(undefined), false);
});

const json = { 'content-type': 'application/json' };
const sized = (length: number) => ({ length });

test('shouldCompress: a large enough compressible body', () => {
  assert.equal(shouldCompress(request(), { code: 200, headers: json, body: sized(5000) }), true);
  assert.equal(shouldCompress(request(), { code: 200, headers: json, body: sized(-1) }), true, 'unknown length streams');
  assert.equal(shouldCompress(request(), { code: 404, headers: { 'Content-Type': 'text/html' }, body: sized(2000) }), true);
  assert.equal(shouldCompress(request('HEAD'), { code: 200, headers: json, body: sized(5000) }), true, 'HEAD as GET');
  assert.equal(shouldCompress(request('POST'), { code: 201, headers: json, body: sized(5000) }), true);
});

test('shouldCompress: size threshold', () => {
  assert.equal(shouldCompress(request(), { code: 200, headers: json, body: sized(1023) }), false);
  assert.equal(shouldCompress(request(), { code: 200, headers: json, body: sized(1024) }), true);
  assert.equal(shouldCompress(request(), { code: 200, headers: json, body: sized(100) }, { minSize: 50 }), true);
  assert.equal(shouldCompress(request(), { code: 200, headers: json }), false, 'no body');
  assert.equal(shouldCompress(request(), { code: 200, headers: json, body: sized(0) }), false);
});

test('shouldCompress: never for these statuses, requests and responses', () => {
  const big = sized(10_000);
  for (const code of [101, 103, 204, 205, 206, 304]) {
    assert.equal(shouldCompress(request(), { code, headers: json, body: big }), false, String(code));
  }
  assert.equal(shouldCompress(request('GET', { Range: 'bytes=0-99' }), { code: 200, headers: json, body: big }), false);
  assert.equal(shouldCompress(request('CONNECT'), { code: 200, headers: json, body: big }), false);
  assert.equal(shouldCompress(request(), { code: 200, headers: { ...json, 'Content-Encoding': 'gzip' }, body: big }), false);
  assert.equal(shouldCompress(request(), { code: 200, headers: { ...json, 'cache-control': 'no-transform' }, body: big }), false);
  assert.equal(shouldCompress(request('GET', { 'Cache-Control': 'no-transform' }), { code: 200, headers: json, body: big }), false);
  assert.equal(shouldCompress(request(), { code: 200, headers: { 'content-type': 'image/png' }, body: big }), false);
  assert.equal(shouldCompress(request(), { code: 200, body: big }), false, 'no Content-Type');
  assert.equal(shouldCompress(request(), { code: 200, headers: json, body: big, compress: false }), false);
});

test('shouldCompress: compress: true forces type, size and no-transform, not protocol rules', () => {
  const png = { 'content-type': 'image/png', 'cache-control': 'no-transform' };
  assert.equal(shouldCompress(request(), { code: 200, headers: png, body: sized(10), compress: true }), true);
  assert.equal(shouldCompress(request(), { code: 200, body: sized(-1), compress: true }), true);
  assert.equal(shouldCompress(request(), { code: 206, headers: png, body: sized(10), compress: true }), false);
  assert.equal(shouldCompress(request('GET', { range: 'bytes=0-' }), { code: 200, body: sized(10), compress: true }), false);
  assert.equal(shouldCompress(request(), { code: 200, headers: { 'content-encoding': 'br' }, body: sized(10), compress: true }), false);
  assert.equal(shouldCompress(request(), { code: 200, body: sized(0), compress: true }), false);
});

test('shouldCompress: a custom isCompressible', () => {
  const res = { code: 200, headers: { 'content-type': 'application/x-custom' }, body: sized(5000) };
  assert.equal(shouldCompress(request(), res), false);
  assert.equal(shouldCompress(request(), res, { isCompressible: (t) => t === 'application/x-custom' }), true);
});
