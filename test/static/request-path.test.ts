import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dotfileStatus, encodePath, hasExtension, parseRequestPath } from '../../src/static/request-path.js';

const parse = (p: string) => {
  const r = parseRequestPath(p);
  return { segments: [...r.segments], trailingSlash: r.trailingSlash };
};
const status = (p: string): number => {
  try {
    parseRequestPath(p);
    return 0;
  } catch (err) {
    return (err as { status: number }).status;
  }
};

describe('parseRequestPath', () => {
  test('plain paths', () => {
    assert.deepEqual(parse('/'), { segments: [], trailingSlash: true });
    assert.deepEqual(parse('/a.txt'), { segments: ['a.txt'], trailingSlash: false });
    assert.deepEqual(parse('/a/b/'), { segments: ['a', 'b'], trailingSlash: true });
  });
  test('percent-decoded once, UTF-8', () => {
    assert.deepEqual(parse('/caf%C3%A9%20au%20lait'), { segments: ['café au lait'], trailingSlash: false });
    assert.deepEqual(parse('/%252e%252e/x'), { segments: ['%2e%2e', 'x'], trailingSlash: false });
    assert.deepEqual(parse('/100%25'), { segments: ['100%'], trailingSlash: false });
  });
  test('dot segments resolved (RFC 3986 §5.2.4)', () => {
    assert.deepEqual(parse('/a/./b/../c'), { segments: ['a', 'c'], trailingSlash: false });
    assert.deepEqual(parse('/a/b/..'), { segments: ['a'], trailingSlash: true });
    assert.deepEqual(parse('/a/.'), { segments: ['a'], trailingSlash: true });
    assert.deepEqual(parse('/a/%2e%2E/b'), { segments: ['b'], trailingSlash: false });
    assert.deepEqual(parse('/a/%2e/b'), { segments: ['a', 'b'], trailingSlash: false });
    assert.deepEqual(parse('/a/..'), { segments: [], trailingSlash: true });
  });
  test('empty segments collapse', () => {
    assert.deepEqual(parse('//a///b'), { segments: ['a', 'b'], trailingSlash: false });
    assert.deepEqual(parse('//'), { segments: [], trailingSlash: true });
  });
  test('"..." and "..x" are names, not dot segments', () => {
    assert.deepEqual(parse('/.../..x'), { segments: ['...', '..x'], trailingSlash: false });
  });
  test('backslash is an ordinary character', () => {
    if (process.platform === 'win32') return;
    assert.deepEqual(parse('/..%5c..%5cetc'), { segments: ['..\\..\\etc'], trailingSlash: false });
    assert.deepEqual(parse('/a\\..\\b'), { segments: ['a\\..\\b'], trailingSlash: false });
  });
  test('climbing above the root → 400', () => {
    assert.equal(status('/..'), 400);
    assert.equal(status('/../etc/passwd'), 400);
    assert.equal(status('/a/../../etc/passwd'), 400);
    assert.equal(status('/%2e%2e/etc/passwd'), 400);
    assert.equal(status('/%2E%2E/'), 400);
    assert.equal(status('/.%2e/x'), 400);
  });
  test('malformed encoding → 400', () => {
    assert.equal(status('/%'), 400);
    assert.equal(status('/%2'), 400);
    assert.equal(status('/%zz'), 400);
    assert.equal(status('/%C3'), 400); // truncated UTF-8
    assert.equal(status('/%C0%AE%C0%AE/'), 400); // overlong "." (a classic bypass)
    assert.equal(status('/%ED%A0%80'), 400); // a surrogate
  });
  test('NUL → 400', () => {
    assert.equal(status('/a%00.txt'), 400);
    assert.equal(status('/a\0b'), 400);
  });
  test('an encoded slash cannot name a file → 404', () => {
    assert.equal(status('/a%2Fb'), 404);
    assert.equal(status('/..%2F..%2Fetc%2Fpasswd'), 404);
    assert.equal(status('/%2f'), 404);
  });
  test('not starting with "/" → 400', () => {
    assert.equal(status(''), 400);
    assert.equal(status('*'), 400);
    assert.equal(status('a/b'), 400);
  });
});

describe('dotfileStatus', () => {
  test('ignore → 404, deny → 403, allow → 0', () => {
    assert.equal(dotfileStatus(['.env'], 'ignore'), 404);
    assert.equal(dotfileStatus(['a', '.git', 'config'], 'ignore'), 404);
    assert.equal(dotfileStatus(['.env'], 'deny'), 403);
    assert.equal(dotfileStatus(['.env'], 'allow'), 0);
    assert.equal(dotfileStatus(['a', 'b.txt'], 'ignore'), 0);
  });
  test('/.well-known/ is allowed, dotfiles inside it are not', () => {
    assert.equal(dotfileStatus(['.well-known', 'security.txt'], 'ignore'), 0);
    assert.equal(dotfileStatus(['.well-known', '.secret'], 'ignore'), 404);
    assert.equal(dotfileStatus(['a', '.well-known', 'x'], 'deny'), 403);
  });
});

test('encodePath', () => {
  assert.equal(encodePath([], true), '/');
  assert.equal(encodePath(['a b', 'c?d#e'], true), '/a%20b/c%3Fd%23e/');
  assert.equal(encodePath(['café', '100%'], false), '/caf%C3%A9/100%25');
  assert.equal(encodePath(['a:b'], false), '/a%3Ab');
});

test('hasExtension', () => {
  assert.equal(hasExtension('app.js'), true);
  assert.equal(hasExtension('about'), false);
  assert.equal(hasExtension('.env'), false);
  assert.equal(hasExtension('v1.2'), true);
});
