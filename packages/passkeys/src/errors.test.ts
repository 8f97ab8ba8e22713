import { describe, expect, it } from 'vitest';
import { isPasskeyError, PasskeyError, PasskeyErrorCodes } from './errors';

describe('PasskeyError', () => {
  it('carries its code and a client-error status for every code', () => {
    for (const code of Object.values(PasskeyErrorCodes)) {
      const error = new PasskeyError(code, 'what failed');
      expect(error).toMatchObject({ name: 'PasskeyError', code, message: 'what failed' });
      expect(error.status).toBeGreaterThanOrEqual(400);
      expect(error.status).toBeLessThan(500);
    }
  });

  it('is recognised by isPasskeyError, also as a copy from another build of the package', () => {
    const copy = Object.assign(new Error('m'), {
      name: 'PasskeyError',
      code: 'passkey_invalid',
      status: 400,
    });
    expect(isPasskeyError(new PasskeyError('passkey_invalid', 'm'))).toBe(true);
    expect(isPasskeyError(copy)).toBe(true);
    expect(isPasskeyError(new Error('m'))).toBe(false);
    expect(isPasskeyError({ name: 'PasskeyError', code: 'x', status: 1 })).toBe(false);
  });
});
