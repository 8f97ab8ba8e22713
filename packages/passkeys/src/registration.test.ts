import { SoftwareAuthenticator } from '@latchkey/test-utils';
import { describe, expect, it } from 'vitest';
import { failure } from '../test/failure';
import { newBrowser, ORIGIN, setup } from '../test/fixture';

describe('registration options', () => {
  it('require a discoverable passkey and user verification by default, with a 5-minute timeout', async () => {
    const { passkeys, browser } = setup();
    const options = await passkeys.registrationOptions({ browser, user: { sub: 'alice' } });
    expect(options.rp).toEqual({ id: 'app.example.com', name: 'app.example.com' });
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: 'required',
      requireResidentKey: true,
      userVerification: 'required',
    });
    expect(options.attestation).toBe('none');
    expect(options.timeout).toBe(5 * 60 * 1000);
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7, -257]);
  });

  it("give a stable random user handle per sub, never the sub or the user's email", async () => {
    const { passkeys, browser } = setup();
    const user = { sub: 'alice', name: 'alice@example.com', displayName: 'Alice' };
    const first = await passkeys.registrationOptions({ browser, user });
    const again = await passkeys.registrationOptions({ browser, user });
    const bob = await passkeys.registrationOptions({ browser, user: { sub: 'bob' } });
    expect(first.user.id).toBe(again.user.id);
    expect(first.user.id).not.toBe(bob.user.id);
    expect(Buffer.from(first.user.id, 'base64url')).toHaveLength(64);
    expect(Buffer.from(first.user.id, 'base64url').toString()).not.toContain('alice');
    expect(first.user).toMatchObject({ name: 'alice@example.com', displayName: 'Alice' });
    expect(first.challenge).not.toBe(again.challenge);
  });

  it("exclude the user's existing passkeys, and only theirs", async () => {
    const { passkeys, browser, register } = setup();
    const { credential } = await register('alice');
    await register('bob', {}, new SoftwareAuthenticator({ origin: ORIGIN }));
    const options = await passkeys.registrationOptions({ browser, user: { sub: 'alice' } });
    expect(options.excludeCredentials).toEqual([
      { id: credential.id, type: 'public-key', transports: ['internal', 'hybrid'] },
    ]);
  });

  it('accept residentKey and userVerification "preferred" from the configuration', async () => {
    const { passkeys, browser } = setup({
      residentKey: 'preferred',
      userVerification: 'preferred',
    });
    const options = await passkeys.registrationOptions({ browser, user: { sub: 'alice' } });
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: 'preferred',
      requireResidentKey: false,
      userVerification: 'preferred',
    });
  });

  it('refuse a browser binding too short to bind anything', async () => {
    const { passkeys } = setup();
    await expect(
      passkeys.registrationOptions({ browser: 'short', user: { sub: 'alice' } }),
    ).rejects.toThrow(TypeError);
  });
});

describe('registration', () => {
  it('stores the passkey without its attestation, with a readable default name, and the profile', async () => {
    const { register, credentials, passkeys, clock } = setup();
    const { credential } = await register('alice');
    expect(credential).toEqual({
      id: expect.any(String),
      sub: 'alice',
      userHandle: expect.any(String),
      publicKey: expect.any(Uint8Array),
      counter: 0,
      transports: ['internal', 'hybrid'],
      deviceType: 'singleDevice',
      backedUp: false,
      aaguid: '01020304-0506-0708-090a-0b0c0d0e0f10',
      name: 'Device-bound passkey, 2025-06-01',
      createdAt: clock.now,
      lastUsedAt: null,
    });
    expect(await credentials.get(credential.id)).toEqual(credential);
    expect(await passkeys.profileOf('alice')).toEqual({
      sub: 'alice',
      name: 'alice',
      email: 'alice@example.com',
    });
  });

  it('names a synced passkey as such, and takes the name the user gives', async () => {
    const { register, registrationAnswer } = setup();
    const synced = new SoftwareAuthenticator({ origin: ORIGIN, synced: true });
    expect((await register('alice', {}, synced)).credential).toMatchObject({
      deviceType: 'multiDevice',
      backedUp: true,
      name: 'Synced passkey, 2025-06-01',
    });
    const laptop = new SoftwareAuthenticator({ origin: ORIGIN });
    const answer = await registrationAnswer('alice', {}, laptop);
    const { credential } = await answer.verify({ name: '  Work laptop ' });
    expect(credential.name).toBe('Work laptop');
  });

  it('refuses a replayed registration response (passkey_challenge_replayed)', async () => {
    const { registrationAnswer } = setup();
    const answer = await registrationAnswer('alice');
    await answer.verify();
    expect(await failure(answer.verify())).toMatchObject({
      code: 'passkey_challenge_replayed',
      status: 400,
    });
  });

  it('refuses an answer 5 minutes after the options, accepts one just before (fake clock)', async () => {
    const { registrationAnswer, clock } = setup();
    const late = await registrationAnswer('alice');
    const inTime = await registrationAnswer(
      'alice',
      {},
      new SoftwareAuthenticator({ origin: ORIGIN }),
    );
    clock.now += 5 * 60 * 1000 - 1;
    await expect(inTime.verify()).resolves.toBeDefined();
    clock.now += 1;
    expect(await failure(late.verify())).toMatchObject({ code: 'passkey_challenge_expired' });
  });

  it('refuses a challenge issued to another browser, and leaves it usable in its own', async () => {
    const { registrationAnswer } = setup();
    const answer = await registrationAnswer('alice');
    for (const other of [newBrowser(), undefined]) {
      expect(await failure(answer.verify({ browser: other }))).toMatchObject({
        code: 'passkey_invalid',
      });
    }
    await expect(answer.verify()).resolves.toBeDefined();
  });

  it('refuses a registration finished by another signed-in user than the one who started it', async () => {
    const { registrationAnswer } = setup();
    const answer = await registrationAnswer('alice');
    const error = await failure(answer.verify({ sub: 'mallory' }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/started by another user/);
  });

  it('refuses a sign-in challenge answered as a registration', async () => {
    const { passkeys, browser, registrationAnswer } = setup();
    const signIn = await passkeys.authenticationOptions({ browser, purpose: 'sign-in' });
    const answer = await registrationAnswer('alice', { challenge: signIn.challenge });
    const error = await failure(answer.verify());
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/issued for a sign-in, not for a registration/);
  });

  it('refuses a response from an origin that is not configured (passkey_invalid)', async () => {
    const { register } = setup();
    const error = await failure(register('alice', { origin: 'https://evil.example.net' }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(String(error.cause)).toMatch(/origin "https:\/\/evil.example.net"/);
  });

  it('refuses authenticator data for another rpID (passkey_invalid)', async () => {
    const { register } = setup();
    const error = await failure(register('alice', { rpID: 'evil.example.net' }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(String(error.cause)).toMatch(/RP ID/i);
  });

  it('requires user verification by default (passkey_user_verification_required)', async () => {
    const { register, credentials } = setup();
    expect(await failure(register('alice', { uv: false }))).toMatchObject({
      code: 'passkey_user_verification_required',
      status: 401,
    });
    expect(await credentials.listByUser('alice')).toEqual([]);
  });

  it('accepts a passkey without user verification when configured "preferred"', async () => {
    const { register } = setup({ userVerification: 'preferred' });
    await expect(register('alice', { uv: false })).resolves.toBeDefined();
  });

  it('refuses a credential id registered before, to another user (passkey_already_registered)', async () => {
    const { register, credentials } = setup();
    const id = new Uint8Array(32).fill(7);
    const { credential } = await register('alice', { credentialId: id });
    const attacker = new SoftwareAuthenticator({ origin: ORIGIN });
    expect(await failure(register('mallory', { credentialId: id }, attacker))).toMatchObject({
      code: 'passkey_already_registered',
      status: 409,
    });
    expect(await credentials.get(credential.id)).toEqual(credential);
    expect(await credentials.listByUser('mallory')).toEqual([]);
  });

  it('refuses a passkey beyond maxPerUser (passkey_limit_reached), at the options and at the answer', async () => {
    const { passkeys, browser, register, registrationAnswer, credentials } = setup({
      maxPerUser: 2,
    });
    await register('alice');
    // Two registrations started with room for one more: the first to finish takes it.
    const device = () => new SoftwareAuthenticator({ origin: ORIGIN });
    const first = await registrationAnswer('alice', {}, device());
    const second = await registrationAnswer('alice', {}, device());
    await first.verify();
    const refused = await failure(second.verify());
    expect(refused).toMatchObject({ code: 'passkey_limit_reached', status: 409 });
    expect(refused.message).toBe(
      'This account has 2 passkeys, the most this app allows: remove one first.',
    );
    expect(await credentials.listByUser('alice')).toHaveLength(2);
    const options = passkeys.registrationOptions({ browser, user: { sub: 'alice' } });
    expect(await failure(options)).toMatchObject({ code: 'passkey_limit_reached', status: 409 });
    // Each user has room of their own.
    await expect(register('bob', {}, device())).resolves.toBeDefined();
  });

  it('allows 20 passkeys per user by default', async () => {
    const { register } = setup();
    for (let count = 0; count < 20; count++) {
      await register('alice', {}, new SoftwareAuthenticator({ origin: ORIGIN }));
    }
    expect(
      await failure(register('alice', {}, new SoftwareAuthenticator({ origin: ORIGIN }))),
    ).toMatchObject({ code: 'passkey_limit_reached' });
  });

  it('refuses a credential id over 1023 bytes, and accepts one of 1023 bytes', async () => {
    const { register } = setup();
    const error = await failure(register('alice', { credentialId: new Uint8Array(1024).fill(1) }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/longer than 1023 bytes/);
    const { credential } = await register('alice', { credentialId: new Uint8Array(1023).fill(2) });
    expect(Buffer.from(credential.id, 'base64url')).toHaveLength(1023);
  });

  it("refuses a response whose id is not the authenticator data's credential id", async () => {
    const { passkeys, browser, registrationAnswer } = setup();
    const { response } = await registrationAnswer('alice');
    const forged = { ...response, id: 'AAAA', rawId: 'AAAA' };
    const error = await failure(
      passkeys.verifyRegistration({ browser, sub: 'alice', response: forged }),
    );
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/differs from its authenticator data/);
  });

  it('answers invalid_request for a body that is not a registration response', async () => {
    const { passkeys, browser } = setup();
    const bodies = [null, 'x', {}, { id: 'a', rawId: 'a', type: 'public-key', response: {} }];
    for (const response of bodies) {
      expect(
        await failure(passkeys.verifyRegistration({ browser, sub: 'alice', response })),
      ).toMatchObject({ code: 'invalid_request', status: 400 });
    }
  });
});
