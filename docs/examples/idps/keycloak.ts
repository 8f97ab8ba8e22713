// latchkey in front of a Keycloak client, configured from environment variables.
import { createLatchkey, definePolicy, idpPresets } from '@latchkey/core';

/** The value of an environment variable that must be set. */
function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set the environment variable ${name}.`);
  return value;
}

const clientId = env('KEYCLOAK_CLIENT_ID');

// #region config
export const auth = createLatchkey({
  // Realm roles, plus this client's roles prefixed with its client id ('my-app:clinician').
  ...idpPresets.keycloak({ clientId }),
  issuer: env('KEYCLOAK_ISSUER'), // https://keycloak.example.com/realms/<realm>
  clientId,
  clientSecret: env('KEYCLOAK_CLIENT_SECRET'),
  baseUrl: env('APP_BASE_URL'), // https://app.example.com
  secrets: [env('SESSION_SECRET')],
  // Without offline_access, Keycloak's refresh token ends with the user's Keycloak session.
  scopes: ['openid', 'profile', 'email'],
  // The names of the client's "ACR to LoA mapping", lowest level first.
  acrLevels: ['password', 'mfa'],
  policy: definePolicy({ roles: { admin: ['*'], [`${clientId}:clinician`]: ['records:*'] } }),
});
// #endregion config
