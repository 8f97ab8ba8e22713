import { fuzzRuns } from '@latchkey/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStepUpChallenge } from './challenge';
import { stepUpChallenge, unmetStepUp } from './step-up';

const MFA = 'urn:latchkey:acr:mfa';
const PWD = 'urn:latchkey:acr:pwd';
const numRuns = fuzzRuns();

describe('parseStepUpChallenge (RFC 9470 section 3)', () => {
  it('reads the challenge that stepUpChallenge writes for an unmet requirement', () => {
    const requirement = { acr: MFA, maxAge: 300 };
    const unmet = unmetStepUp({ acr: PWD, authTime: 1000 }, requirement, [PWD, MFA], 2000, 0);
    const header = stepUpChallenge(requirement, `Step-up required: ${unmet}`);
    expect(parseStepUpChallenge(header)).toEqual({
      acrValues: [MFA],
      maxAge: 300,
      description: `Step-up required: authentication level ${MFA} or higher is required`,
    });
  });

  it('reads back whatever requirement and description stepUpChallenge is given', () => {
    // stepUpChallenge leaves double quotes and backslashes out of quoted-strings.
    const quotable = (text: string) => text.replace(/["\\]/g, '');
    fc.assert(
      fc.property(
        fc.option(fc.string({ unit: 'binary' }), { nil: undefined }),
        fc.option(fc.nat(999_999_999), { nil: undefined }),
        fc.string({ unit: 'binary' }),
        (acr, maxAge, description) => {
          const challenge = parseStepUpChallenge(stepUpChallenge({ acr, maxAge }, description));
          expect(challenge).toEqual({
            acrValues: acr ? quotable(acr).split(/\s+/).filter(Boolean) : [],
            ...(maxAge === undefined ? {} : { maxAge }),
            ...(quotable(description) ? { description: quotable(description) } : {}),
          });
        },
      ),
      { numRuns },
    );
  });

  it('reads parameters quoted or not, in any order, with any spacing and case', () => {
    expect(
      parseStepUpChallenge(
        `bearer MAX_AGE="60",acr_values=${MFA} ,  Error = insufficient_user_authentication`,
      ),
    ).toEqual({ acrValues: [MFA], maxAge: 60 });
  });

  it('finds the Bearer challenge among others', () => {
    expect(
      parseStepUpChallenge(
        `Basic realm="api", DPoP algs="ES256 PS256", error="use_dpop_nonce", Bearer realm="api", error="insufficient_user_authentication", acr_values="${PWD} ${MFA}"`,
      ),
    ).toEqual({ acrValues: [PWD, MFA] });
  });

  it('unescapes quoted-strings and keeps commas inside them', () => {
    expect(
      parseStepUpChallenge(
        'Bearer error_description="Say \\"hi\\", then retry", error="insufficient_user_authentication", max_age=0',
      ),
    ).toEqual({ acrValues: [], maxAge: 0, description: 'Say "hi", then retry' });
  });

  it('counts the first occurrence of a repeated parameter', () => {
    expect(
      parseStepUpChallenge(
        `Bearer error="insufficient_user_authentication", acr_values="${MFA}", acr_values="${PWD}"`,
      )?.acrValues,
    ).toEqual([MFA]);
  });

  it('ignores a max_age that is not a whole number of seconds', () => {
    for (const maxAge of ['-1', '1.5', 'soon', '', '99999999999']) {
      expect(
        parseStepUpChallenge(`Bearer error="insufficient_user_authentication", max_age=${maxAge}`),
      ).toEqual({ acrValues: [] });
    }
  });

  it('is undefined for other errors, other schemes and no header', () => {
    expect(parseStepUpChallenge('Bearer error="invalid_token"')).toBeUndefined();
    expect(parseStepUpChallenge('Bearer realm="api"')).toBeUndefined();
    expect(
      parseStepUpChallenge('DPoP error="insufficient_user_authentication", max_age=5'),
    ).toBeUndefined();
    expect(parseStepUpChallenge('error="insufficient_user_authentication"')).toBeUndefined();
    expect(parseStepUpChallenge('')).toBeUndefined();
    expect(parseStepUpChallenge(null)).toBeUndefined();
    expect(parseStepUpChallenge(undefined)).toBeUndefined();
  });

  it('survives malformed input without throwing', () => {
    for (const header of [
      'Bearer error="insufficient_user_authentication',
      '=,=,"',
      'Bearer ===',
      '"',
    ]) {
      expect(() => parseStepUpChallenge(header)).not.toThrow();
    }
  });

  it('answers any header with nothing or a well-formed challenge, never throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc
            .array(
              fc.constantFrom(
                'Bearer',
                'error=',
                '"insufficient_user_authentication"',
                ',',
                ' ',
                '"',
                '\\',
                '=',
                'max_age=',
                '7',
                'acr_values=',
              ),
            )
            .map((parts) => parts.join('')),
        ),
        (header) => {
          const challenge = parseStepUpChallenge(header);
          if (challenge === undefined) return;
          expect(challenge.acrValues.every((value) => value !== '' && !/\s/.test(value))).toBe(
            true,
          );
          if (challenge.maxAge !== undefined) {
            expect(Number.isInteger(challenge.maxAge) && challenge.maxAge >= 0).toBe(true);
          }
        },
      ),
      { numRuns },
    );
  });
});
