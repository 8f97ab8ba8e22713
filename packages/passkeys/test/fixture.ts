import { randomBytes } from 'node:crypto';
import { Keyring } from '@latchkey/core';
import { SoftwareAuthenticator, type Tamper } from '@latchkey/test-utils';
import {
  createPasskeys,
  MemoryCredentialStore,
  type PasskeyCredential,
  type PasskeyOptions,
} from '../src/index';
import { SealedCredentials } from '../src/sealed-credentials';

export const ORIGIN = 'https://app.example.com';

/** The fixture's secrets. */
export const SECRETS = ['passkey-test-secret-passkey-test-secret-01'];

/** A random browser binding, as the cookie would carry it. */
export const newBrowser = () => randomBytes(16).toString('base64url');

/** Who answers a verify: the session's user and the browser's binding (default: the fixture's). */
interface Answerer {
  sub?: string;
  browser?: string | undefined;
}

/**
 * A relying party on https://app.example.com with memory stores and a fake clock (`clock.now`,
 * epoch ms, moved by the tests), one browser and one software authenticator in it. Each ceremony
 * comes as `...Answer()`: its options, the authenticator's response, and `verify()` to send that
 * response (from another user or browser, if asked); and as a one-call shorthand.
 */
export function setup(options: Partial<PasskeyOptions> & { synced?: boolean } = {}) {
  const { synced, ...passkeyOptions } = options;
  const clock = { now: Date.UTC(2025, 5, 1, 12, 0, 0) };
  // What the store holds (`stored`), and what the passkeys know of it (`credentials`).
  const stored = new MemoryCredentialStore();
  const credentials = new SealedCredentials(stored, new Keyring(SECRETS));
  const passkeys = createPasskeys({
    baseUrl: ORIGIN,
    credentials: stored,
    secrets: SECRETS,
    now: () => clock.now,
    ...passkeyOptions,
  });
  const browser = newBrowser();
  const authenticator = new SoftwareAuthenticator({ origin: ORIGIN, synced: synced ?? false });
  const from = (answerer: Answerer) => ('browser' in answerer ? answerer.browser : browser);

  async function registrationAnswer(sub = 'alice', tamper: Tamper = {}, device = authenticator) {
    const optionsJSON = await passkeys.registrationOptions({
      browser,
      user: { sub, name: `${sub}@example.com` },
    });
    const response = device.register(optionsJSON, tamper);
    const verify = (answerer: Answerer & { name?: string } = {}) =>
      passkeys.verifyRegistration({
        browser: from(answerer),
        sub: answerer.sub ?? sub,
        response,
        profile: { sub, name: sub, email: `${sub}@example.com` },
        name: answerer.name,
      });
    return { options: optionsJSON, response, verify };
  }

  async function signInAnswer(tamper: Tamper = {}, device = authenticator) {
    const optionsJSON = await passkeys.authenticationOptions({ browser, purpose: 'sign-in' });
    const response = device.authenticate(optionsJSON, tamper);
    const verify = (answerer: Answerer = {}) =>
      passkeys.verifyAuthentication({ browser: from(answerer), purpose: 'sign-in', response });
    return { options: optionsJSON, response, verify };
  }

  async function stepUpAnswer(sub = 'alice', tamper: Tamper = {}, device = authenticator) {
    const optionsJSON = await passkeys.authenticationOptions({ browser, purpose: 'step-up', sub });
    const response = device.authenticate(optionsJSON, tamper);
    const verify = (answerer: Answerer = {}) =>
      passkeys.verifyAuthentication({
        browser: from(answerer),
        purpose: 'step-up',
        sub: answerer.sub ?? sub,
        response,
      });
    return { options: optionsJSON, response, verify };
  }

  return {
    clock,
    stored,
    credentials,
    passkeys,
    browser,
    authenticator,
    registrationAnswer,
    signInAnswer,
    stepUpAnswer,
    /** Registers a passkey of `sub` with `device` (default: the fixture's authenticator). */
    register: async (sub = 'alice', tamper: Tamper = {}, device = authenticator) =>
      (await registrationAnswer(sub, tamper, device)).verify(),
    /** Signs in with `device`'s passkey. */
    signIn: async (tamper: Tamper = {}, device = authenticator) =>
      (await signInAnswer(tamper, device)).verify(),
    /** Steps `sub` up with `device`'s passkey. */
    stepUp: async (sub = 'alice', tamper: Tamper = {}, device = authenticator) =>
      (await stepUpAnswer(sub, tamper, device)).verify(),
  };
}

/** A stored passkey of `sub` with plain values, for store tests; `extra` overrides fields. */
export const passkey = (
  id: string,
  sub: string,
  extra: Partial<PasskeyCredential> = {},
): PasskeyCredential => ({
  id,
  sub,
  userHandle: `handle-${sub}`,
  publicKey: new Uint8Array([1, 2, 3]),
  counter: 0,
  transports: ['internal'],
  deviceType: 'singleDevice',
  backedUp: false,
  aaguid: '00000000-0000-0000-0000-000000000000',
  name: 'Passkey',
  createdAt: 1000,
  lastUsedAt: null,
  ...extra,
});
