import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentTypeFor, DEFAULT_CONTENT_TYPE } from '../../src/static/mime.js';

test('text types carry charset=utf-8', () => {
  for (const [name, type] of [
    ['index.html', 'text/html; charset=utf-8'],
    ['a.htm', 'text/html; charset=utf-8'],
    ['style.css', 'text/css; charset=utf-8'],
    ['app.js', 'text/javascript; charset=utf-8'],
    ['mod.mjs', 'text/javascript; charset=utf-8'],
    ['mod.cjs', 'text/javascript; charset=utf-8'],
    ['data.json', 'application/json; charset=utf-8'],
    ['app.js.map', 'application/json; charset=utf-8'],
    ['logo.svg', 'image/svg+xml; charset=utf-8'],
    ['feed.xml', 'application/xml; charset=utf-8'],
    ['site.webmanifest', 'application/manifest+json; charset=utf-8'],
    ['README.md', 'text/markdown; charset=utf-8'],
    ['notes.txt', 'text/plain; charset=utf-8'],
    ['t.csv', 'text/csv; charset=utf-8'],
    ['t.tsv', 'text/tab-separated-values; charset=utf-8'],
    ['cal.ics', 'text/calendar; charset=utf-8'],
    ['c.yaml', 'application/yaml; charset=utf-8'],
    ['c.yml', 'application/yaml; charset=utf-8'],
    ['c.toml', 'application/toml; charset=utf-8'],
  ]) {
    assert.equal(contentTypeFor(name!), type, name);
  }
});

test('binary types have no charset', () => {
  for (const [name, type] of [
    ['m.wasm', 'application/wasm'],
    ['a.png', 'image/png'],
    ['a.JPG', 'image/jpeg'],
    ['a.jpeg', 'image/jpeg'],
    ['a.gif', 'image/gif'],
    ['a.webp', 'image/webp'],
    ['a.avif', 'image/avif'],
    ['favicon.ico', 'image/x-icon'],
    ['a.bmp', 'image/bmp'],
    ['f.woff', 'font/woff'],
    ['f.woff2', 'font/woff2'],
    ['f.ttf', 'font/ttf'],
    ['f.otf', 'font/otf'],
    ['f.eot', 'application/vnd.ms-fontobject'],
    ['v.mp4', 'video/mp4'],
    ['v.webm', 'video/webm'],
    ['v.ogv', 'video/ogg'],
    ['s.mp3', 'audio/mpeg'],
    ['s.ogg', 'audio/ogg'],
    ['s.oga', 'audio/ogg'],
    ['s.wav', 'audio/wav'],
    ['s.flac', 'audio/flac'],
    ['s.m4a', 'audio/mp4'],
    ['d.pdf', 'application/pdf'],
    ['a.zip', 'application/zip'],
    ['a.tar.gz', 'application/gzip'],
    ['a.tgz', 'application/gzip'],
    ['a.br', 'application/x-brotli'],
    ['a.zst', 'application/zstd'],
    ['a.tar', 'application/x-tar'],
    ['a.7z', 'application/x-7z-compressed'],
    ['a.rar', 'application/vnd.rar'],
  ]) {
    assert.equal(contentTypeFor(name!), type, name);
  }
});

test('unknown, missing and dotfile extensions are octet-stream', () => {
  assert.equal(contentTypeFor('a.unknownext'), DEFAULT_CONTENT_TYPE);
  assert.equal(contentTypeFor('Makefile'), DEFAULT_CONTENT_TYPE);
  assert.equal(contentTypeFor('.html'), DEFAULT_CONTENT_TYPE);
  assert.equal(contentTypeFor('/srv/www.d/readme'), DEFAULT_CONTENT_TYPE);
  assert.equal(contentTypeFor('a.'), DEFAULT_CONTENT_TYPE);
  assert.equal(contentTypeFor('a.constructor'), DEFAULT_CONTENT_TYPE); // no prototype lookups
});

test('paths work: the extension of the last segment', () => {
  assert.equal(contentTypeFor('/srv/www/a.css'), 'text/css; charset=utf-8');
});
