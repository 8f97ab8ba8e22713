import type { DevIdp } from '@latchkey/dev-idp';
import type { AdapterApp } from '../app';
import type { FakeClock } from '../fixtures';

/** What the tests of the main suite share: read its members inside tests only. */
export interface SuiteEnv {
  readonly idp: DevIdp;
  /** The app most tests use; its time is {@link SuiteEnv.clock}'s. */
  readonly app: AdapterApp;
  /** Same IdP client as {@link SuiteEnv.app}, another session secret. */
  readonly otherSecretApp: AdapterApp;
  /**
   * Same IdP client as {@link SuiteEnv.app}, with `logout: { idTokenHint: false }` and an
   * `errorPage` that renders `<h1>Our own page</h1><p>{code}</p>`.
   */
  readonly customApp: AdapterApp;
  /** Reset to real time before each test. */
  readonly clock: FakeClock;
}
