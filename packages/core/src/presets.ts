import type { LatchkeyOptions } from './config';
import { roleMappers } from './rbac';

/** The part of the options an IdP preset fills in; spread it into `createLatchkey`. */
export type IdpPreset = Pick<
  LatchkeyOptions,
  'roles' | 'scopes' | 'authorizationParams' | 'stepUpParams' | 'acrLevels' | 'resource' | 'tenants'
>;

const BASE_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/**
 * Settings for common IdPs: where roles are, how to ask for an API's access tokens, and how to ask
 * for a step-up, each in the IdP's own vocabulary.
 *
 * @example
 * createLatchkey({ ...idpPresets.auth0({ rolesClaim: 'https://app.example.com/roles', audience: 'https://api.example.com' }), issuer, ... });
 */
export const idpPresets = {
  /**
   * Auth0: roles from a namespaced claim set by an Action; API access tokens through `audience`
   * (Auth0 predates RFC 8707 `resource`); step-up with `acr_values` (its MFA policy answers
   * `http://schemas.openid.net/pape/policies/2007/06/multi-factor`).
   */
  auth0: (options: { rolesClaim: string; audience?: string }): IdpPreset => ({
    roles: roleMappers.auth0(options.rolesClaim),
    ...(options.audience ? { authorizationParams: { audience: options.audience } } : {}),
    acrLevels: ['http://schemas.openid.net/pape/policies/2007/06/multi-factor'],
  }),
  /** Okta: the `groups` claim (ask for the `groups` scope). */
  okta: (): IdpPreset => ({ roles: roleMappers.okta(), scopes: [...BASE_SCOPES, 'groups'] }),
  /** Keycloak: realm roles, plus client roles of `clientId` when given. */
  keycloak: (options: { clientId?: string } = {}): IdpPreset => ({
    roles: roleMappers.keycloak(options),
  }),
  /**
   * Microsoft Entra ID: app roles in `roles`; an API's access tokens through its `.default` scope
   * (e.g. `api://<app-id>/.default`); step-up through authentication contexts, asked for with the
   * `claims` request (`acrs`), not `acr_values`. `acrLevels` are your context ids (`c1`, ...).
   * For a multi-tenant app (issuer `https://login.microsoftonline.com/organizations/v2.0` or
   * `/common/v2.0`), `tenants` lists the tenant ids (`tid`) allowed to sign in, or decides.
   */
  entra: (
    options: {
      apiScope?: string;
      authenticationContexts?: readonly string[];
      tenants?: LatchkeyOptions['tenants'];
    } = {},
  ): IdpPreset => ({
    ...(options.tenants ? { tenants: options.tenants } : {}),
    roles: roleMappers.entra(),
    scopes: [...BASE_SCOPES, ...(options.apiScope ? [options.apiScope] : [])],
    acrLevels: options.authenticationContexts ?? [],
    stepUpParams: ({ acr }) =>
      acr
        ? { claims: JSON.stringify({ id_token: { acrs: { essential: true, value: acr } } }) }
        : {},
  }),
  /** Google: no roles claim: map verified email domains to roles; refresh tokens need `access_type=offline`. */
  google: (options: { domains: Record<string, readonly string[]> }): IdpPreset => ({
    roles: roleMappers.google(options.domains),
    scopes: ['openid', 'profile', 'email'],
    authorizationParams: { access_type: 'offline', prompt: 'consent' },
  }),
  /** latchkey's dev IdP: the `roles` claim, two levels, JWT access tokens for the demo API. */
  devIdp: (options: { resource?: string } = {}): IdpPreset => ({
    roles: roleMappers.claim('roles'),
    acrLevels: ['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa'],
    ...(options.resource ? { resource: options.resource } : {}),
  }),
} as const;
