import { describe, expect, it } from 'vitest';
import { failure } from '../test/failure';
import { newBrowser } from '../test/fixture';
import {
  CHALLENGE_LIFETIME_MS,
  CHALLENGE_RETENTION_MS,
  MemoryChallengeStore,
  saveChallenge,
  takeChallenge,
} from './challenges';

/** A memory store and the functions' context on one fake clock (`clock.now`, epoch ms). */
function context() {
  const clock = { now: 1_000_000 };
  const now = () => clock.now;
  return { clock, challenges: new MemoryChallengeStore({ now }), now };
}

describe('challenges', () => {
  it('are taken once, with the record they were saved with', async () => {
    const ctx = context();
    const browser = newBrowser();
    await saveChallenge(ctx, browser, 'challenge-1', { ceremony: 'sign-in' });
    expect(await takeChallenge(ctx, browser, 'challenge-1')).toEqual({
      ceremony: 'sign-in',
      expiresAt: 1_000_000 + CHALLENGE_LIFETIME_MS,
    });
    const error = await failure(takeChallenge(ctx, browser, 'challenge-1'));
    expect(error).toMatchObject({ code: 'passkey_challenge_replayed' });
  });

  it('expire 5 minutes after they were issued, and are unknown once forgotten (fake clock)', async () => {
    const ctx = context();
    const browser = newBrowser();
    for (const challenge of ['in-time', 'too-late', 'forgotten']) {
      await saveChallenge(ctx, browser, challenge, { ceremony: 'sign-in' });
    }
    const outcomes: Record<string, unknown> = {};
    for (const [challenge, elapsed] of [
      ['in-time', CHALLENGE_LIFETIME_MS - 1],
      ['too-late', CHALLENGE_LIFETIME_MS],
      ['forgotten', CHALLENGE_RETENTION_MS],
    ] as const) {
      ctx.clock.now = 1_000_000 + elapsed;
      outcomes[challenge] = await takeChallenge(ctx, browser, challenge).then(
        (record) => record.ceremony,
        (error: { code: string }) => error.code,
      );
    }
    expect(outcomes).toEqual({
      'in-time': 'sign-in',
      'too-late': 'passkey_challenge_expired',
      forgotten: 'passkey_invalid',
    });
  });

  it('are bound to the browser they were issued to, which alone can spend them', async () => {
    const ctx = context();
    const browser = newBrowser();
    await saveChallenge(ctx, browser, 'bound', { ceremony: 'sign-in' });
    for (const other of [newBrowser(), undefined, '', `${browser}x`]) {
      expect(await failure(takeChallenge(ctx, other, 'bound'))).toMatchObject({
        code: 'passkey_invalid',
      });
    }
    await expect(takeChallenge(ctx, browser, 'bound')).resolves.toBeDefined();
  });

  it('refuse to be issued to a binding shorter than 16 characters', async () => {
    const ctx = context();
    await expect(saveChallenge(ctx, 'a'.repeat(15), 'c', { ceremony: 'sign-in' })).rejects.toThrow(
      TypeError,
    );
    await expect(
      saveChallenge(ctx, 'a'.repeat(16), 'c', { ceremony: 'sign-in' }),
    ).resolves.toBeUndefined();
  });

  it('are stored under a key that reveals neither the challenge nor the browser binding', async () => {
    const keys: string[] = [];
    const ctx = context();
    const spy = {
      put: async (key: string) => void keys.push(key),
      consume: async () => undefined,
    };
    const browser = newBrowser();
    await saveChallenge({ ...ctx, challenges: spy }, browser, 'the-challenge', {
      ceremony: 'sign-in',
    });
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain('the-challenge');
    expect(keys[0]).not.toContain(browser);
  });
});

describe('MemoryChallengeStore', () => {
  it('consumes atomically: of two concurrent takes exactly one gets the record', async () => {
    const store = new MemoryChallengeStore();
    await store.put('k', { ceremony: 'sign-in', expiresAt: Date.now() + 1000 }, 60_000);
    const results = await Promise.all([store.consume('k'), store.consume('k')]);
    expect(results.filter((r) => r === 'consumed')).toHaveLength(1);
    expect(results.filter((r) => typeof r === 'object')).toHaveLength(1);
  });

  it('keeps at most maxEntries, forgetting the oldest', async () => {
    const store = new MemoryChallengeStore({ maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) {
      await store.put(key, { ceremony: 'sign-in', expiresAt: Date.now() + 1000 }, 60_000);
    }
    expect(await store.consume('a')).toBeUndefined();
    expect(await store.consume('b')).toMatchObject({ ceremony: 'sign-in' });
    expect(await store.consume('c')).toMatchObject({ ceremony: 'sign-in' });
  });

  it('hands out a copy, not the record it keeps', async () => {
    const store = new MemoryChallengeStore();
    const record = {
      ceremony: 'step-up' as const,
      sub: 'a',
      allowCredentials: ['x'],
      expiresAt: 1,
    };
    await store.put('k', record, 60_000);
    record.allowCredentials.push('y');
    expect(await store.consume('k')).toMatchObject({ allowCredentials: ['x'] });
  });
});
