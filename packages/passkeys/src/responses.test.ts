import { describe, expect, it } from 'vitest';
import { authenticationResponseOf, registrationResponseOf, signedChallengeOf } from './responses';

const clientDataJSON = Buffer.from(
  JSON.stringify({ type: 'webauthn.get', challenge: 'abc' }),
).toString('base64url');
const assertion = {
  id: 'AQID',
  rawId: 'AQID',
  type: 'public-key',
  response: { clientDataJSON, authenticatorData: 'AA', signature: 'AA', userHandle: 'dXNlcg' },
  clientExtensionResults: {},
};

describe('browser responses', () => {
  it('keep only the fields SimpleWebAuthn reads', () => {
    const parsed = authenticationResponseOf({
      ...assertion,
      extra: 'dropped',
      __proto__: { polluted: 1 },
    });
    expect(parsed).toEqual(assertion);
    expect(
      authenticationResponseOf({
        ...assertion,
        response: { ...assertion.response, userHandle: null },
      }).response,
    ).not.toHaveProperty('userHandle');
  });

  it.each([
    ['no object', 'x'],
    ['no response', { ...assertion, response: undefined }],
    ['rawId unlike id', { ...assertion, rawId: 'AQIE' }],
    ['an id that is not base64url', { ...assertion, id: 'a+b/', rawId: 'a+b/' }],
    ['another type', { ...assertion, type: 'password' }],
    ['no signature', { ...assertion, response: { ...assertion.response, signature: undefined } }],
    ['a numeric user handle', { ...assertion, response: { ...assertion.response, userHandle: 5 } }],
  ])('refuse %s (invalid_request)', (_, body) => {
    expect(() => authenticationResponseOf(body)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });

  it('keep only known transports, each once', () => {
    const body = {
      ...assertion,
      response: {
        clientDataJSON,
        attestationObject: 'AA',
        transports: ['usb', 'x'.repeat(99), 'usb', 'hybrid'],
      },
    };
    expect(registrationResponseOf(body).response.transports).toEqual(['usb', 'hybrid']);
  });

  it('refuse transports that are not strings', () => {
    const body = {
      ...assertion,
      response: { clientDataJSON, attestationObject: 'AA', transports: [1] },
    };
    expect(() => registrationResponseOf(body)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });

  it('refuse a credential id over 1023 bytes (passkey_invalid), accept 1023', () => {
    const id = (bytes: number) => Buffer.alloc(bytes, 255).toString('base64url');
    for (const bytes of [1021, 1022, 1023]) {
      expect(authenticationResponseOf({ ...assertion, id: id(bytes), rawId: id(bytes) }).id).toBe(
        id(bytes),
      );
    }
    for (const bytes of [1024, 1025, 1026]) {
      expect(() =>
        authenticationResponseOf({ ...assertion, id: id(bytes), rawId: id(bytes) }),
      ).toThrow(expect.objectContaining({ code: 'passkey_invalid' }));
    }
  });

  it('read the signed challenge from clientDataJSON, or fail with passkey_invalid', () => {
    expect(signedChallengeOf(clientDataJSON)).toBe('abc');
    for (const bad of ['bm90IGpzb24', Buffer.from('{"challenge":7}').toString('base64url')]) {
      expect(() => signedChallengeOf(bad)).toThrow(
        expect.objectContaining({ code: 'passkey_invalid' }),
      );
    }
  });
});
