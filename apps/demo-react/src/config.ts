/** Authentication level of a password sign-in at the dev IdP. */
export const ACR_PWD = 'urn:latchkey:acr:pwd';

/** Authentication level of a password plus a one-time code: what payments and transfers need. */
export const ACR_MFA = 'urn:latchkey:acr:mfa';

/** The server's levels, lowest first (the `acrLevels` of demo-express). */
export const ACR_LEVELS: readonly string[] = [ACR_PWD, ACR_MFA];

/** How recent (seconds) the one-time code must be for payments and transfers: the API's rule. */
export const STEP_UP_MAX_AGE = 300;

/** The `id` of the `<script type="application/json">` that carries the server-rendered session. */
export const SESSION_ELEMENT_ID = 'latchkey-session';

declare module '@latchkey/react' {
  interface Register {
    /** The permissions of the demo's policy: `usePermission('reports:raed')` does not compile. */
    permissions: 'reports:read' | 'payments:write';
  }
}
