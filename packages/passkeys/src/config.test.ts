import { describe, expect, it } from 'vitest';
import { MemoryCredentialStore } from './credential-store';
import { createPasskeys } from './passkeys';

const SECRETS = ['passkey-test-secret-passkey-test-secret-01'];

const credentials = new MemoryCredentialStore();
const configure = (options: Record<string, unknown>) => () =>
  createPasskeys({ credentials, secrets: SECRETS, ...options } as unknown as Parameters<
    typeof createPasskeys
  >[0]);

describe('passkey configuration', () => {
  it("defaults the rpID to the base URL's host and the origins to its origin", () => {
    const passkeys = createPasskeys({
      baseUrl: 'https://app.example.com/base/',
      credentials,
      secrets: SECRETS,
    });
    expect(passkeys.rpID).toBe('app.example.com');
    expect(passkeys.origins).toEqual(['https://app.example.com']);
  });

  it('works on http://localhost with a port', () => {
    const passkeys = createPasskeys({
      baseUrl: 'http://localhost:3000',
      credentials,
      secrets: SECRETS,
    });
    expect(passkeys.rpID).toBe('localhost');
    expect(passkeys.origins).toEqual(['http://localhost:3000']);
  });

  it('accepts a parent domain as rpID, and origins on its subdomains', () => {
    const passkeys = createPasskeys({
      secrets: SECRETS,
      baseUrl: 'https://app.example.com',
      rpID: 'example.com',
      origins: ['https://app.example.com', 'https://accounts.example.com'],
      credentials,
    });
    expect(passkeys.rpID).toBe('example.com');
    expect(passkeys.origins).toHaveLength(2);
  });

  it.each([
    ['plain http away from localhost', { baseUrl: 'http://app.example.com' }],
    [
      'http on 127.0.0.1 (use localhost: an IP cannot be an rpID)',
      { baseUrl: 'http://127.0.0.1:3000' },
    ],
    ['an IP address as rpID', { baseUrl: 'https://10.0.0.1' }],
    ['no URL', { baseUrl: 'app.example.com' }],
    ['an rpID the host is not within', { baseUrl: 'https://app.example.com', rpID: 'example.net' }],
    ['an rpID that only ends like the host', { baseUrl: 'https://myapp.com', rpID: 'app.com' }],
    [
      'an origin outside the rpID',
      { baseUrl: 'https://app.example.com', origins: ['https://evil.net'] },
    ],
    [
      'an origin with a path',
      { baseUrl: 'https://app.example.com', origins: ['https://app.example.com/'] },
    ],
    ['an http origin', { baseUrl: 'https://app.example.com', origins: ['http://app.example.com'] }],
    ['no origin', { baseUrl: 'https://app.example.com', origins: [] }],
    [
      'an unknown userVerification',
      { baseUrl: 'https://app.example.com', userVerification: 'discouraged' },
    ],
    ['an unknown residentKey', { baseUrl: 'https://app.example.com', residentKey: 'discouraged' }],
    ['no credential store', { baseUrl: 'https://app.example.com', credentials: undefined }],
    ['no secrets', { baseUrl: 'https://app.example.com', secrets: undefined }],
    ['an empty list of secrets', { baseUrl: 'https://app.example.com', secrets: [] }],
    [
      'a secret under 32 characters',
      { baseUrl: 'https://app.example.com', secrets: 'x'.repeat(31) },
    ],
    [
      'a secret that is not a string',
      { baseUrl: 'https://app.example.com', secrets: [SECRETS[0], 42] },
    ],
    ['no passkey per user', { baseUrl: 'https://app.example.com', maxPerUser: 0 }],
    ['over 1000 passkeys per user', { baseUrl: 'https://app.example.com', maxPerUser: 1001 }],
    ['a fraction of a passkey per user', { baseUrl: 'https://app.example.com', maxPerUser: 2.5 }],
    ['a maxPerUser that is not a number', { baseUrl: 'https://app.example.com', maxPerUser: '5' }],
  ])('refuses %s (config_invalid)', (_, options) => {
    expect(configure(options)).toThrow(expect.objectContaining({ code: 'config_invalid' }));
  });
});
