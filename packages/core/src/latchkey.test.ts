import { describe, expect, it } from 'vitest';
import { createLatchkey } from './latchkey';
import { fromNodeRequest } from './node';

const instanceAt = (baseUrl: string) =>
  createLatchkey({
    issuer: 'https://idp.example.com',
    clientId: 'app',
    clientSecret: 's',
    baseUrl,
    secrets: ['owns-test-secret-owns-test-secret-1'],
  });

describe('Latchkey.owns', () => {
  it("claims exactly the paths under its routes' base path", () => {
    const latchkey = instanceAt('https://app.example.com');
    const owns = (url: string) => latchkey.owns(new Request(url));
    expect(owns('https://app.example.com/auth/login')).toBe(true);
    expect(owns('https://app.example.com/auth/callback?code=x&state=y')).toBe(true);
    expect(owns('https://app.example.com/auth/unknown')).toBe(true);
    expect(owns('https://app.example.com/auth')).toBe(false);
    expect(owns('https://app.example.com/authx/login')).toBe(false);
    expect(owns('https://app.example.com/api/auth/login')).toBe(false);
    expect(owns('https://app.example.com/?next=/auth/login')).toBe(false);
  });

  it('honours the path of the base URL, also for requests from Node', () => {
    const latchkey = instanceAt('https://app.example.com/shop');
    const owns = (url: string) =>
      latchkey.owns(fromNodeRequest({ url, headers: {} }, latchkey.config.baseUrl));
    expect(owns('/shop/auth/login')).toBe(true);
    expect(owns('//shop/auth/login')).toBe(true);
    expect(owns('/auth/login')).toBe(false);
    expect(owns('/shop/authx')).toBe(false);
  });
});
