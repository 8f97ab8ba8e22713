// latchkey in front of an Okta app integration, configured from environment variables.
import { createLatchkey, definePolicy, idpPresets } from '@latchkey/core';

/** The value of an environment variable that must be set. */
function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set the environment variable ${name}.`);
  return value;
}

// #region config
export const auth = createLatchkey({
  ...idpPresets.okta(), // roles from the groups claim; asks for the groups scope
  issuer: env('OKTA_ISSUER'), // https://<your-org>.okta.com/oauth2/default
  clientId: env('OKTA_CLIENT_ID'),
  clientSecret: env('OKTA_CLIENT_SECRET'),
  baseUrl: env('APP_BASE_URL'), // https://app.example.com
  secrets: [env('SESSION_SECRET')],
  // Okta's own acr values, lowest first: any one factor, then any two factors.
  acrLevels: ['urn:okta:loa:1fa:any', 'urn:okta:loa:2fa:any'],
  policy: definePolicy({ roles: { 'App Admins': ['*'], Clinicians: ['records:*'] } }),
});
// #endregion config
