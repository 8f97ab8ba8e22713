import { describe, expect, it } from 'vitest';
import { isSameOrigin, safeReturnTo, wantsJson } from './request';

const base = new URL('https://app.example.com');

describe('safeReturnTo', () => {
  // Decoded at most three times: four rounds of encoding are left as they are.
  it.each([
    '/profile',
    '/a/b?x=1#top',
    '/%7Euser',
    '/%25252541',
    '/%2525252Fx',
    '/a b',
    `/${'a'.repeat(2047)}`,
  ])('keeps the same-origin path %s', (path) => {
    expect(safeReturnTo(path, base)).toBe(
      new URL(path, base).pathname + new URL(path, base).search + new URL(path, base).hash,
    );
  });

  it.each([
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'https://evil.example/',
    'http:evil.example',
    'javascript:alert(1)',
    '/%2F%2Fevil.example',
    '%2F%2Fevil.example',
    '/%252F%252Fevil.example',
    '/%5Cevil.example',
    '/\t/evil.example',
    '/%09/evil.example',
    'evil.example',
    '',
    '/%E0%A4%A',
    '/\u007f/x',
    `/${'a'.repeat(2048)}`,
    null,
    undefined,
  ])('falls back to / for %j', (value) => {
    expect(safeReturnTo(value, base)).toBe('/');
  });

  // Each of these resolved, before the fix, to `//evil.example/...` after dot-segment removal.
  it.each([
    '/.//evil.example/',
    '/%2e//evil.example/',
    '/a/..//evil.example/',
    '/x/%2e%2e//evil.example/',
  ])('never returns a scheme-relative URL for %j', (value) => {
    expect(safeReturnTo(value, base)).toBe('/');
  });

  /** Every way to write a dot segment, a slash and a backslash that a parser might accept. */
  const dots = ['.', '%2e', '%2E', '%252e'];
  const slashes = ['/', '\\', '%2f', '%2F', '%5c', '%5C', '%252f', '\uff0f', '\u2215', '\u29f8'];
  const controls = ['\t', '\n', '\r', '\u0000', '\u007f', '%09', '%0a', '%00'];
  const generated = [
    ...dots.flatMap((dot) =>
      slashes.flatMap((slash) => [
        `/${dot}/${slash}evil.example/`,
        `/${dot}${dot}/${slash}evil.example/`,
        `/a/${dot}${dot}/${slash}evil.example/`,
        `/a/${dot}${dot}${slash}${slash}evil.example/`,
        `/${dot}${slash}${slash}evil.example/`,
        `${slash}${slash}evil.example/`,
        `/${slash}evil.example/`,
      ]),
    ),
    ...controls.flatMap((control) => [`/${control}/evil.example`, `${control}//evil.example`]),
  ];

  it('keeps every generated dot-segment, slash and control-character variant on the origin', () => {
    expect(generated.length).toBeGreaterThan(250);
    for (const value of generated) {
      const result = safeReturnTo(value, base);
      const resolved = new URL(result, base);
      expect(resolved.origin, value).toBe(base.origin);
      expect(result, value).toMatch(/^\/(?![/\\])/);
      // What the browser does with the Location header: still this origin.
      expect(new URL(result, 'https://app.example.com/deep/page').origin, value).toBe(base.origin);
    }
  });
});

describe('wantsJson', () => {
  const req = (headers: Record<string, string>) =>
    new Request('https://app.example.com/x', { headers });

  it('treats browser navigations as pages and fetches or JSON clients as APIs', () => {
    expect(
      wantsJson(
        req({ accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-mode': 'navigate' }),
      ),
    ).toBe(false);
    expect(wantsJson(req({}))).toBe(false);
    expect(wantsJson(req({ accept: 'application/json' }))).toBe(true);
    expect(wantsJson(req({ accept: '*/*', 'sec-fetch-mode': 'cors' }))).toBe(true);
    expect(wantsJson(req({ 'x-requested-with': 'XMLHttpRequest' }))).toBe(true);
    expect(wantsJson(req({ accept: 'text/html, application/json;q=0.5' }))).toBe(false);
  });
});

describe('isSameOrigin', () => {
  const post = (headers: Record<string, string>) =>
    new Request('https://app.example.com/auth/logout', { method: 'POST', headers });

  it('accepts the app origin or Sec-Fetch-Site same-origin and refuses everything else', () => {
    expect(isSameOrigin(post({ origin: 'https://app.example.com' }), base.origin)).toBe(true);
    expect(isSameOrigin(post({ 'sec-fetch-site': 'same-origin' }), base.origin)).toBe(true);
    expect(isSameOrigin(post({ origin: 'https://evil.example' }), base.origin)).toBe(false);
    expect(isSameOrigin(post({ origin: 'null' }), base.origin)).toBe(false);
    expect(
      isSameOrigin(
        post({ origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }),
        base.origin,
      ),
    ).toBe(false);
    expect(isSameOrigin(post({ 'sec-fetch-site': 'cross-site' }), base.origin)).toBe(false);
    expect(isSameOrigin(post({}), base.origin)).toBe(false);
  });
});
