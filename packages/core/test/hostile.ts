import { type HostileIdp, startHostileIdp } from '@latchkey/test-utils';
import { afterAll, beforeAll } from 'vitest';

/** The base URL of the apps under test (never listened on: requests go to `handle` directly). */
export const baseUrl = 'http://127.0.0.1:3999';
/** Their session secrets. */
export const secrets = ['test-secret-test-secret-test-secret-1234'];
/** The client the hostile IdP knows. */
export const hostileClient = { clientId: 'app', clientSecret: 'app-secret' } as const;

/**
 * A hostile IdP for the enclosing file: started in `beforeAll`, stopped in `afterAll`. Read `idp`
 * inside tests only.
 */
export function useHostileIdp(): { readonly idp: HostileIdp } {
  let idp: HostileIdp | undefined;
  beforeAll(async () => {
    idp = await startHostileIdp(hostileClient);
  });
  afterAll(() => idp?.stop());
  return {
    get idp() {
      if (!idp) throw new Error('the hostile IdP starts in beforeAll: use it in tests');
      return idp;
    },
  };
}
