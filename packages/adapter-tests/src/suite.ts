import { createAuditLog, MemoryRevocationList, MemorySessionStore } from '@latchkey/core';
import { ACR_MFA } from '@latchkey/dev-idp';
import { createPasskeys, MemoryCredentialStore } from '@latchkey/passkeys';
import { beforeEach, describe } from 'vitest';
import type { StartAdapterApp } from './app';
import { FakeClock, TEST_SECRET, useDevIdpWithApps } from './fixtures';
import { authorizationTests } from './suite/authorization';
import { dpopTests } from './suite/dpop';
import type { SuiteEnv } from './suite/env';
import { forwardingTests } from './suite/forwarding';
import { hardeningTests } from './suite/hardening';
import { idpDownTests } from './suite/idp-down';
import { instanceTests } from './suite/instances';
import { LeakWatch, leakTests } from './suite/leaks';
import { PASSKEY_ORIGIN, passkeyTests, STEP_UP_ASSERTION_KEY } from './suite/passkeys';
import { routeTests } from './suite/routes';
import { sessionTests } from './suite/session';
import { signInTests } from './suite/sign-in';
import { signOutTests } from './suite/sign-out';

/** The audit key of the main suite's app. */
const AUDIT_KEY = 'adapter-suite-audit-key-adapter-suite-audit';

/**
 * Registers the behaviour every latchkey adapter must have, as vitest `describe` blocks named
 * after `name` (e.g. `'Express 5'`), run against apps from `startApp` and the dev IdP.
 *
 * @example
 * adapterSuite('Fastify 5', startFastifyApp);
 */
export function adapterSuite(name: string, startApp: StartAdapterApp): void {
  describe(`${name} adapter against the dev IdP`, () => {
    const clock = new FakeClock();
    const leaks = new LeakWatch();
    const running = useDevIdpWithApps(startApp, {
      app: {
        now: clock.now,
        debug: leaks.debug,
        audit: createAuditLog({ sink: leaks.audit, key: AUDIT_KEY }),
        bodyTimeout: 500,
        passkeys: createPasskeys({
          secrets: [TEST_SECRET],
          baseUrl: PASSKEY_ORIGIN,
          credentials: new MemoryCredentialStore(),
        }),
        stepUp: { passkey: { acr: ACR_MFA, assertionKey: STEP_UP_ASSERTION_KEY } },
      },
      otherSecretApp: { secrets: ['a-different-secret-a-different-secret-1'] },
      customApp: {
        logout: { idTokenHint: false },
        errorPage: (error) =>
          new Response(`<h1>Our own page</h1><p>${error.code}</p>`, {
            status: error.status,
            headers: { 'content-type': 'text/html; charset=utf-8' },
          }),
      },
    });
    beforeEach(() => clock.reset());
    const env: SuiteEnv = {
      get idp() {
        return running.idp;
      },
      get app() {
        return running.apps.app;
      },
      get otherSecretApp() {
        return running.apps.otherSecretApp;
      },
      get customApp() {
        return running.apps.customApp;
      },
      clock,
    };
    signInTests(env);
    sessionTests(env);
    signOutTests(env);
    authorizationTests(env);
    forwardingTests(env);
    routeTests(env);
    hardeningTests(env);
    passkeyTests(env);
    leakTests(env, leaks);
  });

  describe(`${name}: DPoP-bound tokens through requireBearer`, () => {
    dpopTests(startApp);
  });

  describe(`${name} adapter while the IdP is down`, () => {
    idpDownTests(startApp);
  });

  describe(`${name}: two instances sharing a revocation list (stateless cookie sessions)`, () => {
    instanceTests(startApp, {
      shared: () => ({ revocations: new MemoryRevocationList() }),
      locksRefresh: false,
    });
  });

  describe(`${name}: two instances sharing a session store`, () => {
    instanceTests(startApp, {
      shared: () => ({ store: new MemorySessionStore() }),
      locksRefresh: true,
    });
  });
}
