import { describe, expect, it } from 'vitest';
import { acrSatisfies, stepUpChallenge, unmetStepUp } from './step-up';

const levels = ['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa'];

describe('step-up', () => {
  it('ranks acr levels: a higher level satisfies a lower requirement, never the reverse', () => {
    expect(acrSatisfies('urn:latchkey:acr:mfa', 'urn:latchkey:acr:pwd', levels)).toBe(true);
    expect(acrSatisfies('urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa', levels)).toBe(false);
    expect(acrSatisfies('unknown', 'urn:latchkey:acr:pwd', levels)).toBe(false);
    expect(acrSatisfies(undefined, 'urn:latchkey:acr:pwd', levels)).toBe(false);
  });

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

  it('lets an unknown level satisfy only itself, and no level satisfy an unknown one', () => {
    expect(acrSatisfies('gold', 'gold', levels)).toBe(true);
    expect(acrSatisfies('urn:latchkey:acr:mfa', 'gold', levels)).toBe(false);
    expect(acrSatisfies('gold', 'urn:latchkey:acr:pwd', levels)).toBe(false);
    expect(acrSatisfies('urn:latchkey:acr:pwd', 'urn:latchkey:acr:pwd', levels)).toBe(true);
    expect(acrSatisfies(undefined, 'gold', levels)).toBe(false);
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
