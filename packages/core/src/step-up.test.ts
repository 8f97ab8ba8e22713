import { describe, expect, it } from 'vitest';
import { stepUpChallenge, stepUpQuery, unmetStepUp, verifyStepUp } from './step-up';

const levels = ['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa'];

describe('step-up', () => {
  it('fails closed without auth_time and enforces max_age', () => {
    const now = 1_800_000_000;
    expect(
      unmetStepUp(
        { acr: 'urn:latchkey:acr:mfa', authTime: undefined },
        { maxAge: 300 },
        levels,
        now,
        0,
      ),
    ).toMatch(/unknown/);
    expect(
      unmetStepUp({ acr: undefined, authTime: now - 301 }, { maxAge: 300 }, levels, now, 0),
    ).toMatch(/300 seconds/);
    expect(
      unmetStepUp(
        { acr: 'urn:latchkey:acr:mfa', authTime: now - 10 },
        { acr: 'urn:latchkey:acr:mfa', maxAge: 300 },
        levels,
        now,
        0,
      ),
    ).toBeUndefined();
  });

  it('formats the RFC 9470 challenge', () => {
    expect(
      stepUpChallenge({ acr: 'urn:latchkey:acr:mfa', maxAge: 300 }, 'Step-up "required"'),
    ).toBe(
      'Bearer error="insufficient_user_authentication", error_description="Step-up required", acr_values="urn:latchkey:acr:mfa", max_age=300',
    );
  });

  it("accepts Entra ID's acrs claim for a required authentication context", () => {
    expect(
      unmetStepUp(
        { acr: undefined, acrs: ['c1', 'c2'], authTime: 1 },
        { acr: 'c2' },
        ['c1', 'c2'],
        2,
        0,
      ),
    ).toBeUndefined();
    expect(
      unmetStepUp({ acr: undefined, acrs: ['c1'], authTime: 1 }, { acr: 'c2' }, ['c1', 'c2'], 2, 0),
    ).toBeDefined();
  });

  it('allows the clock tolerance on max_age, to the second', () => {
    const auth = { acr: undefined, authTime: 1000 };
    expect(unmetStepUp(auth, { maxAge: 60 }, levels, 1090, 30)).toBeUndefined();
    expect(unmetStepUp(auth, { maxAge: 60 }, levels, 1091, 30)).toMatch(/60 seconds/);
    expect(unmetStepUp(auth, { maxAge: 60 }, levels, 1080, 30)).toBeUndefined();
  });

  it('names only what the requirement asks in the challenge', () => {
    expect(stepUpChallenge({ maxAge: 59.9 }, 'd')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="d", max_age=59',
    );
    expect(stepUpChallenge({ acr: 'a' }, 'd')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="d", acr_values="a"',
    );
  });

  it('says which level is missing', () => {
    expect(
      unmetStepUp(
        { acr: 'urn:latchkey:acr:pwd', authTime: 1 },
        { acr: 'urn:latchkey:acr:mfa' },
        levels,
        2,
        0,
      ),
    ).toBe('authentication level urn:latchkey:acr:mfa or higher is required');
  });
});

describe('stepUpQuery', () => {
  const query = (text: string) => stepUpQuery(new URLSearchParams(text), levels);

  it('reads acr (one of the configured levels) and max_age (whole seconds)', () => {
    expect(query('acr=urn:latchkey:acr:mfa')).toEqual({
      acr: 'urn:latchkey:acr:mfa',
      maxAge: undefined,
    });
    expect(query('max_age=0')).toEqual({ acr: undefined, maxAge: 0 });
    expect(query('acr=urn:latchkey:acr:pwd&max_age=300')).toEqual({
      acr: 'urn:latchkey:acr:pwd',
      maxAge: 300,
    });
  });

  it.each([
    [
      'acr=urn:other',
      "Unknown authentication level 'urn:other': it is not one of the configured acrLevels.",
    ],
    ['max_age=-1', 'max_age must be a whole number of seconds.'],
    ['max_age=1.5', 'max_age must be a whole number of seconds.'],
    ['max_age=1234567890', 'max_age must be a whole number of seconds.'],
    ['returnTo=/', 'A step-up needs acr, max_age or both.'],
  ])('refuses %s with 400 invalid_request', (text, message) => {
    expect(() => query(text)).toThrow(
      expect.objectContaining({ code: 'invalid_request', status: 400, message }),
    );
  });
});

describe('verifyStepUp', () => {
  const now = 1_800_000_000;
  const mfa = { sub: 'alice', acr: 'urn:latchkey:acr:mfa', authTime: now - 5 };

  it('accepts the same user at the level and freshness asked for', () => {
    expect(() =>
      verifyStepUp(mfa, { sub: 'alice', acr: 'urn:latchkey:acr:mfa', maxAge: 60 }, levels, now, 0),
    ).not.toThrow();
    expect(() =>
      verifyStepUp(mfa, { sub: undefined, acr: 'urn:latchkey:acr:pwd' }, levels, now, 0),
    ).not.toThrow();
  });

  it('refuses another user, a lower level and a stale authentication with step_up_failed', () => {
    const failed = (message: string) =>
      expect.objectContaining({ code: 'step_up_failed', status: 403, message });
    expect(() =>
      verifyStepUp(mfa, { sub: 'bob', acr: 'urn:latchkey:acr:pwd' }, levels, now, 0),
    ).toThrow(
      failed('The step-up was completed by a different user; the original session is unchanged.'),
    );
    expect(() =>
      verifyStepUp(
        { ...mfa, acr: 'urn:latchkey:acr:pwd' },
        { sub: 'alice', acr: 'urn:latchkey:acr:mfa' },
        levels,
        now,
        0,
      ),
    ).toThrow(
      failed(
        'The step-up did not reach what was asked: authentication level urn:latchkey:acr:mfa or higher is required.',
      ),
    );
    expect(() => verifyStepUp(mfa, { sub: 'alice', maxAge: 1 }, levels, now, 0)).toThrow(
      failed(
        'The step-up did not reach what was asked: an authentication within the last 1 seconds is required.',
      ),
    );
  });
});
