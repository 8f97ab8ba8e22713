// latchkey in front of an Auth0 application, configured from environment variables.
import { createLatchkey, definePolicy, idpPresets } from '@latchkey/core';

/** The value of an environment variable that must be set. */
function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set the environment variable ${name}.`);
  return value;
}

const audience = process.env.AUTH0_AUDIENCE; // your API's identifier, if the app calls one

// #region config
export const auth = createLatchkey({
  ...idpPresets.auth0({
    rolesClaim: 'https://app.example.com/roles', // the claim your Action sets
    ...(audience ? { audience } : {}),
  }),
  issuer: env('AUTH0_ISSUER'), // https://<tenant>.<region>.auth0.com/ (or your custom domain)
  clientId: env('AUTH0_CLIENT_ID'),
  clientSecret: env('AUTH0_CLIENT_SECRET'),
  clientAuth: 'client_secret_post', // as the application's Credentials tab says
  baseUrl: env('APP_BASE_URL'), // https://app.example.com
  secrets: [env('SESSION_SECRET')],
  policy: definePolicy({ roles: { admin: ['*'], clinician: ['records:*'] } }),
});
// #endregion config
