// The session JSON @latchkey/react reads from `GET /auth/session` (or from another tab): any body
// is either the contract's shape, read into a session whose every field has its type, or refused
// (`undefined`); `{ authenticated: false }` is `null`. Never an exception.
import { fuzz } from '@latchkey/test-utils';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { parseSessionResponse } from './session';

const strings = fc.array(fc.string(), { maxLength: 3 });
const anything = fc.jsonValue({ maxDepth: 2 });
const field = <T>(valid: fc.Arbitrary<T>) => fc.oneof(valid, anything);

const body = fc.oneof(
  anything,
  fc.record(
    {
      authenticated: field(fc.boolean()),
      user: field(
        fc.record(
          { sub: field(fc.string()), name: field(fc.string()), email: field(fc.string()) },
          { requiredKeys: [] },
        ),
      ),
      roles: field(strings),
      permissions: field(strings),
      acr: field(fc.option(fc.string(), { nil: null })),
      amr: field(strings),
      authTime: field(fc.option(fc.integer(), { nil: null })),
      expiresAt: field(fc.integer()),
      provider: field(fc.string()),
      ['__proto__']: anything,
    },
    { requiredKeys: [] },
  ),
);

const isStrings = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

it('reads any session body into a well-typed session, null, or nothing', async () => {
  await fuzz(body, (value) => {
    const session = parseSessionResponse(value);
    if (session === undefined) return;
    if (session === null) {
      expect((value as { authenticated?: unknown }).authenticated).toBe(false);
      return;
    }
    expect((value as { authenticated?: unknown }).authenticated).toBe(true);
    expect(typeof session.user.sub === 'string' && session.user.sub !== '').toBe(true);
    for (const key of ['name', 'email', 'picture'] as const) {
      expect(['string', 'undefined']).toContain(typeof session.user[key]);
    }
    expect(isStrings(session.roles) && isStrings(session.permissions)).toBe(true);
    expect(isStrings(session.amr)).toBe(true);
    expect(session.acr === null || typeof session.acr === 'string').toBe(true);
    expect(session.authTime === null || Number.isFinite(session.authTime)).toBe(true);
    expect(Number.isFinite(session.expiresAt)).toBe(true);
    expect(['string', 'undefined']).toContain(typeof session.provider);
  });
});
