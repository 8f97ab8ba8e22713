// latchkey in production: every secret and every address comes from the environment.
import { createLatchkey, type LatchkeyEvent } from '@latchkey/core';
import { RedisSessionStore } from '@latchkey/redis';

/** An environment variable the app cannot run without. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`The environment variable ${name} is not set.`);
  return value;
}

// #region store
export const store = new RedisSessionStore({
  // TLS and a password, e.g. rediss://app:<password>@redis.internal:6380
  url: required('REDIS_URL'),
  // One prefix per app in the same Redis database, neither a prefix of the other.
  prefix: 'billing:',
});
// #endregion store

export const auth = createLatchkey({
  // Exactly as the IdP's discovery document names it.
  issuer: required('OIDC_ISSUER'),
  clientId: required('OIDC_CLIENT_ID'),
  clientSecret: required('OIDC_CLIENT_SECRET'),
  // The one public https address of the app: https://billing.example.com
  baseUrl: required('APP_BASE_URL'),
  // Newest first, separated by spaces, each at least 32 characters.
  secrets: required('SESSION_SECRET').trim().split(/\s+/),
  store,
  session: { idleTimeout: 30 * 60, absoluteTimeout: 12 * 60 * 60 },
  idpTimeout: 5000, // the default
  clockTolerance: 30, // the default: keep the clocks right rather than raise it
  onEvent: audit,
});

// #region audit
/**
 * Audit events as JSON lines. With a session store, an event's `sessionId` is the value of the
 * user's session cookie: it is left out.
 */
function audit(event: LatchkeyEvent): void {
  const line = JSON.stringify({ at: new Date().toISOString(), ...event }, (key, value) =>
    key === 'sessionId' ? undefined : value,
  );
  console.log(line);
}
// #endregion audit
