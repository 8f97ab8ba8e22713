// Writes reference/errors.md from core's error table: each code's status (from `LatchkeyError`),
// what causes it (the TSDoc of its `ErrorCodes` entry) and what to do (below). A code without a
// remedy here fails the docs test, so no code ships undocumented.
// Run: `pnpm --filter @latchkey/docs exec tsx scripts/error-catalogue.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, LatchkeyError } from '@latchkey/core';

/** What a developer (or their user) does about each code. */
export const REMEDIES: Readonly<Record<string, string>> = {
  config_invalid:
    'Read the message: it names the option and what it must be. Fix the options passed to `createLatchkey` (or `createPasskeys`, `createBearerVerifier`).',
  state_missing:
    'The browser reached the callback without a sign-in in progress, often from a bookmark of the callback URL. Link to `/auth/login` instead.',
  state_mismatch:
    'Start the sign-in again from the app. It happens after 10 minutes on the IdP page, in another browser, when the callback is replayed, when the instance that answers the callback lacks the secret that sealed the sign-in (add new secrets last on every instance first), or when more than 5 sign-ins are pending at once in one browser: each waits in one of 5 cookies, and a sixth replaces one of them.',
  issuer_mismatch:
    'Do not change `issuer` to make it pass: a callback whose `iss` names another issuer is what a mix-up attack looks like. Check which IdP answered (the `iss` parameter of the callback URL), whether another app or IdP sends users to this redirect URI, and whether a proxy between the IdP and the app drops or rewrites `iss`. A discovery document that names another issuer is `idp_invalid_response`, not this.',
  access_denied:
    'The user cancelled or the IdP refused; or your `afterCallback` returned `false`. Show the user a way to try again.',
  authorization_failed:
    "The IdP's error is in the message: check the client's registration (redirect URI, grant types, scopes).",
  invalid_grant:
    'The code was used twice or expired, or the redirect URI differs from the one registered. Sign in again.',
  id_token_invalid:
    "Check the IdP's signing algorithm against `idTokenAlgorithms`, the client id (`aud`) and the server clock.",
  idp_unreachable:
    "The IdP did not answer within `idpTimeout`: check the issuer URL, DNS, the network path and the IdP's health.",
  idp_invalid_response:
    "The IdP answered something that is not OAuth or OIDC: check that `issuer` points at the IdP, not at a proxy page. Or the discovery document names a different issuer: set `issuer` exactly as it spells it (a path's trailing slash counts).",
  client_auth_failed:
    'The IdP refused the client credentials: check `clientId`, the credential (`clientSecret`, or `clientAssertionKey` and the public key registered at the IdP) and `clientAuth` (`client_secret_post` for IdPs that want the secret in the body).',
  unauthenticated: 'Sign in first (`/auth/login`), or send a bearer token to an API route.',
  session_invalid:
    'The cookie could not be read: a changed secret, a tampered or truncated cookie, or a cookie written by a newer release than the one running (after a rollback; older formats are read). The user signs in again; keep old secrets in `secrets` while rotating.',
  session_expired:
    'The idle or absolute timeout passed. The user signs in again; tune `session.idleTimeout` and `session.absoluteTimeout`.',
  session_revoked:
    'The session was signed out (here, on another instance, or by back-channel logout). The user signs in again.',
  session_too_large:
    'Too many claims for cookies: ask the IdP for fewer, keep less in `afterCallback` data, or use a session store (`@latchkey/redis`).',
  refresh_failed:
    'The refresh token was refused or missing (ask for `offline_access`); the session has ended and the user signs in again.',
  access_token_unavailable:
    'The session began with a passkey, so the IdP gave no access token. Send the user through `/auth/login` before calling APIs that need one.',
  origin_mismatch:
    "Writes must come from the app's own pages: send `Origin` (browsers do), and keep `baseUrl` equal to the origin users see.",
  invalid_request: 'The message names the missing or malformed parameter or body.',
  forbidden:
    'The user lacks the role or permission the route requires: check the role mapping (`roles`) and the policy.',
  insufficient_user_authentication:
    'Step up: follow the `WWW-Authenticate` challenge (`acr_values`, `max_age`) through `/auth/step-up`, or with a passkey.',
  step_up_failed:
    'The new authentication did not reach the level asked for, or was another user. Try again; check that the IdP honours `acr_values`.',
  invalid_token:
    "The bearer token is malformed, expired or not from the IdP: check the client's token, the API's `issuer` and `audience`.",
  invalid_dpop_proof:
    "The client's DPoP proof does not fit this request: make a fresh proof for each request, with the request's method and URL (`htm`, `htu`), the token's hash (`ath`) and the key the token is bound to. Behind a proxy, give the verifier the URL the client called (Express `trust proxy`, Fastify `trustProxy`).",
  use_dpop_nonce:
    "Not a failure: retry the request with a new proof carrying the nonce of the `DPoP-Nonce` header (latchkey's `forward()` and `fetchWithToken()` do so once by themselves).",
  insufficient_scope: 'Ask for the scope named in the challenge when signing in (`scopes`).',
  payload_too_large:
    'Bodies to latchkey routes and forwarded calls stop at 64 KiB (65,536 bytes): send less.',
  request_timeout:
    'The client sent its body too slowly (`bodyTimeout`): check the network or raise the timeout.',
  request_aborted:
    'The client closed the connection before its body ended; nothing to do on the server.',
  method_not_allowed: 'Use the method the route answers (the `Allow` header lists them).',
  logout_token_invalid:
    "A back-channel logout token failed validation or was replayed: check the IdP's back-channel settings and the server clock.",
  api_unreachable:
    'The API behind `forward()` did not answer within `apiTimeout`: check its URL and health.',
  store_unavailable:
    'The session store (Redis) did not answer: check its connection. latchkey fails closed meanwhile. It also answers this when a request waited more than `idpTimeout` plus 10 seconds for another instance to finish refreshing the same session: check that instance and the IdP.',
  passkey_invalid:
    'The passkey response did not verify (origin, rpID, signature, format): check `baseUrl`, `rpID` and `origins`, and start the ceremony again.',
  passkey_challenge_expired:
    'More than 5 minutes passed since the options: start the ceremony again.',
  passkey_challenge_replayed: 'The challenge was already used: start the ceremony again.',
  passkey_not_found:
    'No such passkey (removed, or another account): sign in another way, then add a passkey again.',
  passkey_not_allowed: "Another user's passkey, or one not offered: use one of your own passkeys.",
  passkey_counter_regressed:
    'The passkey may have been cloned: remove it, sign in another way and add a new one.',
  passkey_user_verification_required:
    'The authenticator must verify the user (PIN or biometrics): enable it on the device.',
  passkey_already_registered: 'This passkey is already registered: use it, or remove it first.',
  passkey_limit_reached:
    'Remove a passkey the user no longer uses, then register the new one; or raise `maxPerUser`.',
};

/** The TSDoc of each `ErrorCodes` entry in core's source, by code. */
function causes(): Map<string, string> {
  const source = readFileSync(
    fileURLToPath(new URL('../../packages/core/src/errors.ts', import.meta.url)),
    'utf8',
  );
  const found = new Map<string, string>();
  for (const [, doc, code] of source.matchAll(
    /\/\*\*\s*((?:(?!\*\/)[\s\S])*?)\s*\*\/\s*\n\s*\w+: '([a-z_]+)',/g,
  )) {
    // A comment of several lines starts with `* ` on its own line: drop that star too.
    found.set(
      code!,
      doc!
        .replace(/\s*\n\s*\*\s*/g, ' ')
        .replace(/^\*\s*/, '')
        .trim(),
    );
  }
  return found;
}

/** The catalogue page, as Markdown. Throws for a code that has no cause or remedy. */
export function errorCatalogue(): string {
  const cause = causes();
  const entries = Object.values(ErrorCodes).map((code) => {
    const remedy = REMEDIES[code];
    const why = cause.get(code);
    if (!remedy || !why)
      throw new Error(`error code ${code} has no ${remedy ? 'cause' : 'remedy'}`);
    const { status } = new LatchkeyError(code, '');
    return `## \`${code}\` {#${code}}\n\nHTTP ${status}. ${why}\n\n**What to do:** ${remedy}\n`;
  });
  return [
    "<!-- Written by scripts/error-catalogue.ts from core's error table: do not edit. -->",
    '',
    '# Error catalogue',
    '',
    'Every failure is a `LatchkeyError` with a stable `code` and the HTTP `status` it answers with.',
    'Routes and guards answer `{ "error": code, "message": ... }` to API calls and a page to',
    'navigations. Messages never contain tokens, secrets or personal data.',
    '',
    ...entries,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(
    fileURLToPath(new URL('../reference/errors.md', import.meta.url)),
    errorCatalogue(),
  );
}
