// latchkey in front of a Microsoft Entra ID app registration, configured from environment
// variables.
import { createLatchkey, definePolicy, idpPresets } from '@latchkey/core';

/** The value of an environment variable that must be set. */
function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set the environment variable ${name}.`);
  return value;
}

const apiScope = process.env.ENTRA_API_SCOPE; // api://<api-app-id>/.default, if the app calls an API

// #region config
export const auth = createLatchkey({
  ...idpPresets.entra({
    authenticationContexts: ['c1'], // your Conditional Access authentication context ids
    ...(apiScope ? { apiScope } : {}),
  }),
  issuer: `https://login.microsoftonline.com/${env('ENTRA_TENANT_ID')}/v2.0`,
  clientId: env('ENTRA_CLIENT_ID'), // the Application (client) ID
  clientSecret: env('ENTRA_CLIENT_SECRET'),
  baseUrl: env('APP_BASE_URL'), // https://app.example.com
  secrets: [env('SESSION_SECRET')],
  // Sign out with logout_hint (the login_hint claim) instead of the ID token in the URL.
  logout: { idTokenHint: false },
  // Entra ID sends no back-channel logout tokens.
  routes: { backchannelLogout: false },
  policy: definePolicy({ roles: { 'Records.Admin': ['*'], 'Records.Read': ['records:*'] } }),
});
// #endregion config
