import { describe, expect, it } from 'vitest';
import { isSameOrigin, safeReturnTo, wantsJson } from './request';

const base = new URL('https://app.example.com');

describe('safeReturnTo', () => {
  it.each(['/profile', '/a/b?x=1#top', '/%7Euser'])('keeps the same-origin path %s', (path) => {
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
  ])('falls back to / for %j', (value) => {
    expect(safeReturnTo(value, base)).toBe('/');
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
