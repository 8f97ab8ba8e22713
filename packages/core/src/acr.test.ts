import { describe, expect, it } from 'vitest';
import { acrSatisfies } from './acr';

const PWD = 'urn:latchkey:acr:pwd';
const MFA = 'urn:latchkey:acr:mfa';
const levels = [PWD, MFA];

describe('acrSatisfies', () => {
  it('ranks acr levels: a higher level satisfies a lower requirement, never the reverse', () => {
    expect(acrSatisfies(MFA, PWD, levels)).toBe(true);
    expect(acrSatisfies(MFA, MFA, levels)).toBe(true);
    expect(acrSatisfies(PWD, PWD, levels)).toBe(true);
    expect(acrSatisfies(PWD, MFA, levels)).toBe(false);
  });

  it('lets an unknown level satisfy only itself, and no level satisfy an unknown one', () => {
    expect(acrSatisfies('gold', 'gold', levels)).toBe(true);
    expect(acrSatisfies(MFA, 'gold', levels)).toBe(false);
    expect(acrSatisfies('gold', PWD, levels)).toBe(false);
    expect(acrSatisfies('unknown', PWD, levels)).toBe(false);
  });

  it('lets no level (undefined on the server, null in the session JSON) satisfy anything', () => {
    expect(acrSatisfies(undefined, PWD, levels)).toBe(false);
    expect(acrSatisfies(undefined, 'gold', levels)).toBe(false);
    expect(acrSatisfies(null, PWD, levels)).toBe(false);
  });
});
