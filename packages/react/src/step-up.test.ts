import { describe, expect, test } from 'vitest';
import { acrSatisfies, parseStepUpChallenge } from './step-up';

const MFA = 'urn:latchkey:acr:mfa';
const PWD = 'urn:latchkey:acr:pwd';

describe('parseStepUpChallenge (RFC 9470 section 3)', () => {
  test('reads the challenge that @latchkey/core sends', () => {
    expect(
      parseStepUpChallenge(
        `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="${MFA}", max_age=300`,
      ),
    ).toEqual({
      acrValues: [MFA],
      maxAge: 300,
      description: 'A different authentication level is required',
    });
  });

  test('reads parameters quoted or not, in any order, with any spacing and case', () => {
    expect(
      parseStepUpChallenge(
        `bearer MAX_AGE="60",acr_values=${MFA} ,  Error = insufficient_user_authentication`,
      ),
    ).toEqual({ acrValues: [MFA], maxAge: 60 });
  });

  test('finds the Bearer challenge among others', () => {
    expect(
      parseStepUpChallenge(
        `Basic realm="api", DPoP algs="ES256 PS256", error="use_dpop_nonce", Bearer realm="api", error="insufficient_user_authentication", acr_values="${PWD} ${MFA}"`,
      ),
    ).toEqual({ acrValues: [PWD, MFA] });
  });

  test('unescapes quoted-strings and keeps commas inside them', () => {
    expect(
      parseStepUpChallenge(
        'Bearer error_description="Say \\"hi\\", then retry", error="insufficient_user_authentication", max_age=0',
      ),
    ).toEqual({ acrValues: [], maxAge: 0, description: 'Say "hi", then retry' });
  });

  test('the first occurrence of a repeated parameter counts', () => {
    expect(
      parseStepUpChallenge(
        `Bearer error="insufficient_user_authentication", acr_values="${MFA}", acr_values="${PWD}"`,
      )?.acrValues,
    ).toEqual([MFA]);
  });

  test('ignores a max_age that is not a whole number of seconds', () => {
    for (const maxAge of ['-1', '1.5', 'soon', '', '99999999999']) {
      expect(
        parseStepUpChallenge(`Bearer error="insufficient_user_authentication", max_age=${maxAge}`),
      ).toEqual({ acrValues: [] });
    }
  });

  test('is undefined for other errors, other schemes and no header', () => {
    expect(parseStepUpChallenge('Bearer error="invalid_token"')).toBeUndefined();
    expect(parseStepUpChallenge('Bearer realm="api"')).toBeUndefined();
    expect(
      parseStepUpChallenge('DPoP error="insufficient_user_authentication", max_age=5'),
    ).toBeUndefined();
    expect(parseStepUpChallenge('error="insufficient_user_authentication"')).toBeUndefined();
    expect(parseStepUpChallenge('')).toBeUndefined();
    expect(parseStepUpChallenge(null)).toBeUndefined();
  });

  test('survives malformed input without throwing', () => {
    for (const header of [
      'Bearer error="insufficient_user_authentication',
      '=,=,"',
      'Bearer ===',
      '"',
    ]) {
      expect(() => parseStepUpChallenge(header)).not.toThrow();
    }
  });
});

describe('acrSatisfies', () => {
  const levels = [PWD, MFA];
  test('a higher level satisfies a lower requirement, not the reverse', () => {
    expect(acrSatisfies(MFA, PWD, levels)).toBe(true);
    expect(acrSatisfies(MFA, MFA, levels)).toBe(true);
    expect(acrSatisfies(PWD, MFA, levels)).toBe(false);
  });

  test('an unknown level satisfies only an exact match; none satisfies nothing', () => {
    expect(acrSatisfies('urn:other', 'urn:other', levels)).toBe(true);
    expect(acrSatisfies('urn:other', PWD, levels)).toBe(false);
    expect(acrSatisfies(MFA, 'urn:other', levels)).toBe(false);
    expect(acrSatisfies(null, PWD, levels)).toBe(false);
  });
});
