/**
 * A real local OpenID Provider (on `oidc-provider`) with demo users, two authentication levels and
 * a fixed one-time code, for development and tests. Not for production.
 *
 * @module @latchkey/dev-idp
 */
export { latchkeyClient } from './clients';
export {
  DEFAULT_RESOURCES,
  type DevIdp,
  type DevIdpClient,
  type DevIdpOptions,
  type GrantRecord,
  type OidcProvider,
  startDevIdp,
} from './dev-idp';
export {
  type DevIdpCredentials,
  type FormSubmitter,
  type SignInPage,
  signInAtDevIdp,
} from './sign-in';
export { ACR_LEVELS, ACR_MFA, ACR_PWD, DEV_OTP, type DevIdpUser, defaultUsers } from './users';
