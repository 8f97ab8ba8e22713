import { inspect } from 'node:util';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { clientAuthentication, resolveClientAuth } from './client-auth';
import { resolveConfig } from './config';

const base = {
  issuer: 'https://idp.example.com',
  clientId: 'app',
  baseUrl: 'https://app.example.com',
  secrets: ['client-auth-test-secret-client-auth-test'],
};
const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'k1' };

/** The config_invalid message for these options. */
function refusal(options: Parameters<typeof resolveClientAuth>[0]): string {
  try {
    resolveClientAuth(options);
  } catch (error) {
    expect(error).toMatchObject({ code: 'config_invalid' });
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('client authentication options', () => {
  it('defaults to client_secret_basic with a secret and to private_key_jwt with a key', () => {
    expect(resolveClientAuth({ clientSecret: 's' }).clientAuth).toBe('client_secret_basic');
    expect(resolveClientAuth({ clientAssertionKey: jwk }).clientAuth).toBe('private_key_jwt');
    expect(resolveClientAuth({ clientAuth: 'none' })).toEqual({
      clientAuth: 'none',
      clientSecret: undefined,
      clientAssertionKey: undefined,
    });
  });

  it('names the fix for each impossible combination', async () => {
    expect(refusal({})).toMatch(/clientSecret is required.*clientAssertionKey.*'none'/);
    expect(refusal({ clientAuth: 'client_secret_post' })).toBe(
      "clientAuth 'client_secret_post' needs clientSecret.",
    );
    expect(refusal({ clientAuth: 'private_key_jwt', clientSecret: 's' })).toMatch(
      /^clientAuth 'private_key_jwt' needs clientAssertionKey/,
    );
    expect(refusal({ clientAuth: 'none', clientSecret: 's' })).toMatch(
      /^clientAuth 'none' is for a public client.*remove clientSecret/,
    );
    expect(refusal({ clientSecret: 's', clientAssertionKey: jwk })).toMatch(
      /clientAssertionKey is used only with clientAuth 'private_key_jwt'/,
    );
    expect(refusal({ clientAuth: 'tls_client_auth' as never, clientSecret: 's' })).toMatch(
      /^clientAuth must be/,
    );
    expect(refusal({ clientAssertionKey: { kty: 'oct', k: 'c2VjcmV0', kid: 'k' } })).toMatch(
      /symmetric key \(kty 'oct'\).*set clientSecret/,
    );
    expect(refusal({ clientAssertionKey: { ...(await exportJWK(publicKey)), kid: 'k' } })).toMatch(
      /is a public key/,
    );
    expect(refusal({ clientAssertionKey: { ...jwk, alg: 'ES512' } })).toMatch(
      /EC P-256 or RSA private JWK whose alg is ES256, PS256, RS256/,
    );
    expect(
      refusal({ clientAssertionKey: { key: 'pem', alg: 'HS256' as never, kid: 'k' } }),
    ).toMatch(/clientAssertionKey.alg must be ES256, PS256, RS256/);
  });

  it('reads a JWK, a PEM and a CryptoKey, and says when a key cannot be read', async () => {
    for (const clientAssertionKey of [
      jwk,
      { key: await exportPKCS8(privateKey), alg: 'ES256' as const, kid: 'k1' },
      { key: privateKey, alg: 'ES256' as const },
    ]) {
      const auth = resolveClientAuth({ clientAssertionKey });
      await expect(clientAuthentication(auth)).resolves.toBeTypeOf('function');
    }
    const notAKey = resolveClientAuth({
      clientAssertionKey: { key: 'not a pem', alg: 'ES256', kid: 'k' },
    });
    await expect(clientAuthentication(notAKey)).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringMatching(/could not be read as a private ES256 key/),
    });
    const publicCryptoKey = resolveClientAuth({
      clientAssertionKey: { key: publicKey, alg: 'ES256' },
    });
    await expect(clientAuthentication(publicCryptoKey)).rejects.toMatchObject({
      code: 'config_invalid',
    });
  });

  it('never shows the key or the secret when the config is printed', () => {
    const withKey = resolveConfig({ ...base, clientAssertionKey: jwk });
    const shown = `${inspect(withKey, { depth: 10 })}${JSON.stringify(withKey)}`;
    expect(shown).not.toContain(jwk.d);
    expect(shown).toContain("clientAssertionKey: '[redacted]'");
    const publicClient = resolveConfig({ ...base, clientAuth: 'none' });
    expect(inspect(publicClient)).toContain("clientAuth: 'none'");
  });
});
