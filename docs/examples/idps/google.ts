// latchkey in front of a Google OAuth client, configured from environment variables.
import { createLatchkey, definePolicy, idpPresets, type RoleMapper } from '@latchkey/core';

/** The value of an environment variable that must be set. */
function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set the environment variable ${name}.`);
  return value;
}

// #region workspace-only
/**
 * Roles for the Google Workspace accounts of example.com only: the `hd` claim, which Google sets
 * for Workspace accounts and never for personal ones. The preset's own mapper would also take the
 * domain of a verified email, which a personal account can have.
 */
export const workspaceOnly: RoleMapper = (claims) => (claims.hd === 'example.com' ? ['staff'] : []);
// #endregion workspace-only

// #region config
export const auth = createLatchkey({
  // access_type=offline and prompt=consent for a refresh token.
  ...idpPresets.google({ domains: { 'example.com': ['staff'] } }),
  // After the preset: roles from the Workspace domain only (see workspaceOnly above).
  roles: workspaceOnly,
  issuer: 'https://accounts.google.com',
  clientId: env('GOOGLE_CLIENT_ID'), // ...apps.googleusercontent.com
  clientSecret: env('GOOGLE_CLIENT_SECRET'),
  baseUrl: env('APP_BASE_URL'), // https://app.example.com
  secrets: [env('SESSION_SECRET')],
  // Google sends no back-channel logout tokens.
  routes: { backchannelLogout: false },
  policy: definePolicy({ roles: { staff: ['records:*'] } }),
});
// #endregion config
