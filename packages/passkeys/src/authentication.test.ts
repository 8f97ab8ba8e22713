import { SoftwareAuthenticator } from '@latchkey/test-utils';
import { describe, expect, it } from 'vitest';
import { failure } from '../test/failure';
import { newBrowser, ORIGIN, setup } from '../test/fixture';

describe('authentication options', () => {
  it('for a sign-in list no credentials (discoverable passkeys, autofill) and require UV', async () => {
    const { passkeys, browser, register } = setup();
    await register('alice');
    const options = await passkeys.authenticationOptions({ browser, purpose: 'sign-in' });
    expect(options.allowCredentials).toBeUndefined();
    expect(options).toMatchObject({
      rpId: 'app.example.com',
      userVerification: 'required',
      timeout: 5 * 60 * 1000,
    });
  });

  it("for a step-up list exactly the user's passkeys", async () => {
    const { passkeys, browser, register } = setup();
    const { credential } = await register('alice');
    await register('bob', {}, new SoftwareAuthenticator({ origin: ORIGIN }));
    const options = await passkeys.authenticationOptions({
      browser,
      purpose: 'step-up',
      sub: 'alice',
    });
    expect(options.allowCredentials).toEqual([
      { id: credential.id, type: 'public-key', transports: ['internal', 'hybrid'] },
    ]);
  });

  it('for a step-up of a user without passkeys fail with passkey_not_found (no empty list)', async () => {
    const { passkeys, browser } = setup();
    const error = await failure(
      passkeys.authenticationOptions({ browser, purpose: 'step-up', sub: 'alice' }),
    );
    expect(error).toMatchObject({ code: 'passkey_not_found', status: 404 });
  });
});

describe('sign-in', () => {
  it('resolves the owner, amr hwk + user, and stores counter, backup flag and lastUsedAt', async () => {
    const { register, signIn, credentials, clock } = setup();
    const { credential } = await register('alice');
    clock.now += 60_000;
    const result = await signIn();
    expect(result.sub).toBe('alice');
    expect(result.amr).toEqual(['hwk', 'user']);
    expect(result.credential).toMatchObject({
      id: credential.id,
      counter: 1,
      backedUp: false,
      lastUsedAt: clock.now,
    });
    expect(await credentials.get(credential.id)).toEqual(result.credential);
    clock.now += 60_000;
    const again = await signIn();
    expect(again.credential).toMatchObject({ counter: 2, lastUsedAt: clock.now });
  });

  it('accepts a synced passkey whose counter stays 0, with amr swk + user', async () => {
    const { register, signIn } = setup({ synced: true });
    await register('alice');
    const first = await signIn();
    const second = await signIn();
    expect(first.amr).toEqual(['swk', 'user']);
    expect(second.credential).toMatchObject({ counter: 0, backedUp: true });
  });

  it('updates the backup flag to what the authenticator reports now', async () => {
    const { register, signIn, credentials } = setup();
    const { credential } = await register('alice');
    await credentials.recordUse(credential.id, { counter: 0, backedUp: true, usedAt: 0 });
    const result = await signIn();
    expect(result.credential.backedUp).toBe(false);
  });

  it('refuses a counter that goes backwards, and one that stands still (passkey_counter_regressed)', async () => {
    const { register, signIn, credentials } = setup();
    const { credential } = await register('alice');
    await signIn({ counter: 10 });
    for (const counter of [9, 10, 0]) {
      const error = await failure(signIn({ counter }));
      expect(error).toMatchObject({ code: 'passkey_counter_regressed', status: 403 });
    }
    expect((await credentials.get(credential.id))?.counter).toBe(10);
    await expect(signIn({ counter: 11 })).resolves.toMatchObject({ sub: 'alice' });
  });

  it('reports a regression only for a genuine signature: a forged low counter is passkey_invalid', async () => {
    const { register, signIn } = setup();
    await register('alice');
    await signIn({ counter: 10 });
    const error = await failure(signIn({ counter: 3, signWithOtherKey: true }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
  });

  it('refuses a replayed assertion (passkey_challenge_replayed)', async () => {
    const { register, signInAnswer } = setup();
    await register('alice');
    const answer = await signInAnswer();
    await answer.verify();
    const error = await failure(answer.verify());
    expect(error).toMatchObject({ code: 'passkey_challenge_replayed', status: 400 });
  });

  it('spends the challenge on a failed answer too', async () => {
    const { register, signInAnswer, authenticator, passkeys, browser } = setup();
    await register('alice');
    const bad = await signInAnswer({ signWithOtherKey: true });
    await failure(bad.verify());
    const good = authenticator.authenticate(bad.options);
    const error = await failure(
      passkeys.verifyAuthentication({ browser, purpose: 'sign-in', response: good }),
    );
    expect(error.code).toBe('passkey_challenge_replayed');
  });

  it('refuses an answer after 5 minutes (passkey_challenge_expired, fake clock)', async () => {
    const { register, signInAnswer, clock } = setup();
    await register('alice');
    const answer = await signInAnswer();
    clock.now += 5 * 60 * 1000;
    const error = await failure(answer.verify());
    expect(error).toMatchObject({ code: 'passkey_challenge_expired', status: 400 });
  });

  it('refuses a challenge issued to another browser', async () => {
    const { register, signInAnswer } = setup();
    await register('alice');
    const answer = await signInAnswer();
    const error = await failure(answer.verify({ browser: newBrowser() }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/in this browser/);
  });

  it('refuses a response from an origin that is not configured', async () => {
    const { register, signIn } = setup();
    await register('alice');
    const error = await failure(signIn({ origin: 'https://app.example.com.evil.net' }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(String(error.cause)).toMatch(/origin/);
  });

  it('refuses authenticator data for another rpID', async () => {
    const { register, signIn } = setup();
    await register('alice');
    const error = await failure(signIn({ rpID: 'example.com' }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(String(error.cause)).toMatch(/RP ID/i);
  });

  it('requires user verification by default (passkey_user_verification_required)', async () => {
    const { register, signIn } = setup();
    await register('alice');
    const error = await failure(signIn({ uv: false }));
    expect(error).toMatchObject({ code: 'passkey_user_verification_required', status: 401 });
  });

  it('without required UV, accepts presence alone and leaves "user" out of amr', async () => {
    const { register, signIn } = setup({ userVerification: 'preferred' });
    await register('alice');
    const result = await signIn({ uv: false });
    expect(result.amr).toEqual(['hwk']);
  });

  it('fails on verified: false, a signature by another key (passkey_invalid, no library error)', async () => {
    const { register, signIn, credentials } = setup();
    const { credential } = await register('alice');
    const error = await failure(signIn({ signWithOtherKey: true }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/did not verify/);
    expect(error.cause).toBeUndefined();
    expect(await credentials.get(credential.id)).toMatchObject({ counter: 0, lastUsedAt: null });
  });

  it('fails on an error SimpleWebAuthn throws, keeping it as the cause (passkey_invalid)', async () => {
    const { register, signIn } = setup();
    await register('alice');
    const error = await failure(signIn({ origin: 'https://evil.example.net' }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/did not verify/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses a passkey whose user handle is not its owner (passkey_not_allowed)', async () => {
    const { register, signIn } = setup();
    await register('alice');
    const bobs = await register('bob', {}, new SoftwareAuthenticator({ origin: ORIGIN }));
    const error = await failure(signIn({ userHandle: bobs.credential.userHandle }));
    expect(error).toMatchObject({ code: 'passkey_not_allowed', status: 403 });
    expect(error.message).toMatch(/belongs to another user/);
  });

  it('refuses a sign-in response without a user handle', async () => {
    const { register, signIn } = setup();
    await register('alice');
    const error = await failure(signIn({ userHandle: null }));
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/userHandle/);
  });

  it('answers passkey_not_found for a passkey that was removed', async () => {
    const { register, signIn, passkeys } = setup();
    const { credential } = await register('alice');
    await passkeys.remove('alice', credential.id);
    const error = await failure(signIn());
    expect(error).toMatchObject({ code: 'passkey_not_found', status: 404 });
  });

  it('refuses an oversized credential id before looking it up', async () => {
    const { register, signInAnswer, passkeys, browser } = setup();
    await register('alice');
    const { response } = await signInAnswer();
    const id = Buffer.alloc(1024, 1).toString('base64url');
    const oversized = { ...response, id, rawId: id };
    const error = await failure(
      passkeys.verifyAuthentication({ browser, purpose: 'sign-in', response: oversized }),
    );
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/longer than 1023 bytes/);
  });

  it('refuses a step-up challenge answered as a sign-in', async () => {
    const { register, stepUpAnswer, passkeys, browser } = setup();
    await register('alice');
    const { response } = await stepUpAnswer('alice');
    const error = await failure(
      passkeys.verifyAuthentication({ browser, purpose: 'sign-in', response }),
    );
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/issued for a step-up/);
  });
});

describe('step-up', () => {
  it('proves the signed-in user with one of their passkeys', async () => {
    const { register, stepUp } = setup();
    await register('alice');
    const result = await stepUp('alice');
    expect(result).toMatchObject({ sub: 'alice', amr: ['hwk', 'user'] });
  });

  it("refuses another user's passkey (passkey_not_allowed), and changes nothing on it", async () => {
    const { register, stepUp, credentials } = setup();
    await register('alice');
    const mallory = new SoftwareAuthenticator({ origin: ORIGIN });
    const { credential } = await register('mallory', {}, mallory);
    // Mallory's authenticator answers Alice's step-up with her own passkey, ignoring allowCredentials.
    const error = await failure(stepUp('alice', { useCredential: credential.id }, mallory));
    expect(error).toMatchObject({ code: 'passkey_not_allowed', status: 403 });
    expect(error.message).toMatch(/not one of those offered/);
    expect(await credentials.get(credential.id)).toEqual(credential);
  });

  it('refuses a passkey of the user that was not in allowCredentials', async () => {
    const { register, passkeys, browser } = setup();
    await register('alice');
    const options = await passkeys.authenticationOptions({
      browser,
      purpose: 'step-up',
      sub: 'alice',
    });
    // Registered after the options were issued: a real passkey of Alice's, but not one offered.
    const later = new SoftwareAuthenticator({ origin: ORIGIN });
    const { credential } = await register('alice', {}, later);
    const response = later.authenticate(options, { useCredential: credential.id });
    const error = await failure(
      passkeys.verifyAuthentication({ browser, purpose: 'step-up', sub: 'alice', response }),
    );
    expect(error).toMatchObject({ code: 'passkey_not_allowed' });
    expect(error.message).toMatch(/not one of those offered/);
  });

  it('refuses an offered credential id that now belongs to another user', async () => {
    const { register, passkeys, browser } = setup();
    const id = new Uint8Array(32).fill(9);
    const { credential } = await register('alice', { credentialId: id });
    const offered = { browser, purpose: 'step-up', sub: 'alice' } as const;
    const options = await passkeys.authenticationOptions(offered);
    // Meanwhile Alice removes that passkey, and Mallory registers her own key under its id.
    await passkeys.remove('alice', credential.id);
    const mallory = new SoftwareAuthenticator({ origin: ORIGIN });
    await register('mallory', { credentialId: id }, mallory);
    const response = mallory.authenticate(options, { useCredential: credential.id });
    const error = await failure(passkeys.verifyAuthentication({ ...offered, response }));
    expect(error).toMatchObject({ code: 'passkey_not_allowed' });
    expect(error.message).toMatch(/belongs to another user/);
  });

  it('refuses a step-up finished by another session user than the one it started for', async () => {
    const { register, stepUpAnswer } = setup();
    await register('alice');
    const answer = await stepUpAnswer('alice');
    const error = await failure(answer.verify({ sub: 'bob' }));
    expect(error).toMatchObject({ code: 'passkey_not_allowed' });
    expect(error.message).toMatch(/started for another user/);
  });

  it('accepts a non-discoverable answer without a user handle, by the owner', async () => {
    const { register, stepUp } = setup();
    await register('alice');
    await expect(stepUp('alice', { userHandle: null })).resolves.toMatchObject({ sub: 'alice' });
  });

  it('refuses a sign-in challenge answered as a step-up', async () => {
    const { register, signInAnswer, passkeys, browser } = setup();
    await register('alice');
    const { response } = await signInAnswer();
    const error = await failure(
      passkeys.verifyAuthentication({ browser, purpose: 'step-up', sub: 'alice', response }),
    );
    expect(error).toMatchObject({ code: 'passkey_invalid' });
    expect(error.message).toMatch(/issued for a sign-in/);
  });
});
