// The identity provider pages: each page's configuration (docs/examples/idps/<idp>.ts) builds with
// the environment the page names, and gives the URLs, scopes, roles and step-up parameters the
// page tells the reader to register or expect. Nothing here reaches a real IdP.
import { idpPresets, permissionsFor, type RoleMapper, unmetStepUp } from '@latchkey/core';
import { beforeAll, describe, expect, it } from 'vitest';

const base = 'https://app.example.com';

beforeAll(() => {
  Object.assign(process.env, {
    APP_BASE_URL: base,
    SESSION_SECRET: 'a-test-secret-of-at-least-32-characters',
    AUTH0_ISSUER: 'https://example-tenant.eu.auth0.com/',
    AUTH0_CLIENT_ID: 'auth0-client',
    AUTH0_CLIENT_SECRET: 'auth0-secret',
    AUTH0_AUDIENCE: 'https://api.example.com',
    OKTA_ISSUER: 'https://example-org.okta.com/oauth2/default',
    OKTA_CLIENT_ID: 'okta-client',
    OKTA_CLIENT_SECRET: 'okta-secret',
    KEYCLOAK_ISSUER: 'https://keycloak.example.com/realms/clinic',
    KEYCLOAK_CLIENT_ID: 'my-app',
    KEYCLOAK_CLIENT_SECRET: 'keycloak-secret',
    ENTRA_TENANT_ID: '00000000-0000-0000-0000-000000000001',
    ENTRA_CLIENT_ID: 'entra-client',
    ENTRA_CLIENT_SECRET: 'entra-secret',
    ENTRA_API_SCOPE: 'api://11111111-1111-1111-1111-111111111111/.default',
    GOOGLE_CLIENT_ID: 'google-client.apps.googleusercontent.com',
    GOOGLE_CLIENT_SECRET: 'google-secret',
  });
});

/** The roles and permissions a page's configuration gives a user with these claims. */
function rolesOf(
  config: { roles: RoleMapper; policy: Parameters<typeof permissionsFor>[1] },
  claims: Record<string, unknown>,
) {
  const roles = config.roles(claims);
  return { roles, permissions: permissionsFor(roles, config.policy) };
}

/** Each page's configuration file, loaded once the environment above is set. */
const configs = {
  auth0: () => import('../examples/idps/auth0'),
  okta: () => import('../examples/idps/okta'),
  keycloak: () => import('../examples/idps/keycloak'),
  'entra-id': () => import('../examples/idps/entra-id'),
  google: () => import('../examples/idps/google'),
};

describe('every IdP page', () => {
  it.each(Object.keys(configs) as (keyof typeof configs)[])(
    '%s: registers the callback /auth/callback and the sign-out return /auth/signed-out',
    async (idp) => {
      const { auth } = await configs[idp]();
      expect(auth.config.redirectUri).toBe(`${base}/auth/callback`);
      expect(auth.config.endSessionReturnUri).toBe(`${base}/auth/signed-out`);
      expect(auth.config.postLogoutRedirectUri).toBe(`${base}/`);
    },
  );
});

describe('Auth0', () => {
  it('serves back-channel logout, asks for the API by audience, posts the client secret', async () => {
    const { auth } = await import('../examples/idps/auth0');
    expect(auth.routePaths).toContain('/auth/backchannel-logout');
    expect(auth.config.issuer.href).toBe('https://example-tenant.eu.auth0.com/');
    expect(auth.config.authorizationParams).toEqual({ audience: 'https://api.example.com' });
    expect(auth.config.scopes).toContain('offline_access');
    expect(auth.config.clientAuth).toBe('client_secret_post');
  });

  it('reads roles from the namespaced claim the Action sets, and steps up with the MFA policy', async () => {
    const { auth } = await import('../examples/idps/auth0');
    expect(
      rolesOf(auth.config, { 'https://app.example.com/roles': ['clinician'], roles: ['admin'] }),
    ).toEqual({ roles: ['clinician'], permissions: ['records:*'] });
    const mfa = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
    expect(auth.config.acrLevels).toEqual([mfa]);
    expect(auth.config.stepUpParams({ acr: mfa })).toEqual({ acr_values: mfa });
  });
});

describe('Okta', () => {
  it('asks for the groups scope and offline access, and maps groups to roles', async () => {
    const { auth } = await import('../examples/idps/okta');
    expect(auth.config.scopes).toEqual(['openid', 'profile', 'email', 'offline_access', 'groups']);
    expect(rolesOf(auth.config, { groups: ['Everyone', 'Clinicians'] })).toEqual({
      roles: ['Everyone', 'Clinicians'],
      permissions: ['records:*'],
    });
    expect(auth.routePaths).toContain('/auth/backchannel-logout');
  });

  it("steps up with Okta's acr_values, two factors ranking above one", async () => {
    const { auth } = await import('../examples/idps/okta');
    const twoFactors = 'urn:okta:loa:2fa:any';
    expect(auth.config.stepUpParams({ acr: twoFactors })).toEqual({ acr_values: twoFactors });
    const session = { acr: 'urn:okta:loa:1fa:any', authTime: 1000 };
    expect(unmetStepUp(session, { acr: twoFactors }, auth.config.acrLevels, 1000, 0)).toBeTruthy();
    expect(
      unmetStepUp(
        { ...session, acr: twoFactors },
        { acr: 'urn:okta:loa:1fa:any' },
        auth.config.acrLevels,
        1000,
        0,
      ),
    ).toBeUndefined();
  });
});

describe('Keycloak', () => {
  it('leaves offline_access out and serves back-channel logout', async () => {
    const { auth } = await import('../examples/idps/keycloak');
    expect(auth.config.scopes).toEqual(['openid', 'profile', 'email']);
    expect(auth.routePaths).toContain('/auth/backchannel-logout');
  });

  it("reads realm roles and this client's roles, prefixed with the client id", async () => {
    const { auth } = await import('../examples/idps/keycloak');
    const claims = {
      realm_access: { roles: ['offline_access', 'admin'] },
      resource_access: { 'my-app': { roles: ['clinician'] }, other: { roles: ['root'] } },
    };
    expect(rolesOf(auth.config, claims)).toEqual({
      roles: ['offline_access', 'admin', 'my-app:clinician'],
      permissions: ['*', 'records:*'],
    });
    expect(auth.config.stepUpParams({ acr: 'mfa' })).toEqual({ acr_values: 'mfa' });
    expect(auth.config.acrLevels).toEqual(['password', 'mfa']);
  });
});

describe('Microsoft Entra ID', () => {
  it('uses the tenant v2.0 issuer, the API .default scope, logout_hint and no back-channel route', async () => {
    const { auth } = await import('../examples/idps/entra-id');
    expect(auth.config.issuer.href).toBe(
      'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0',
    );
    expect(auth.config.scopes).toEqual([
      'openid',
      'profile',
      'email',
      'offline_access',
      'api://11111111-1111-1111-1111-111111111111/.default',
    ]);
    expect(auth.config.logoutIdTokenHint).toBe(false);
    expect(auth.routePaths).not.toContain('/auth/backchannel-logout');
  });

  it('reads app roles from roles, and steps up with an authentication context in the claims request', async () => {
    const { auth } = await import('../examples/idps/entra-id');
    expect(rolesOf(auth.config, { roles: ['Records.Read'] })).toEqual({
      roles: ['Records.Read'],
      permissions: ['records:*'],
    });
    const params = auth.config.stepUpParams({ acr: 'c1' });
    expect(params.acr_values).toBeUndefined();
    expect(JSON.parse(params.claims!)).toEqual({
      id_token: { acrs: { essential: true, value: 'c1' } },
    });
    // The acrs claim of the new ID token meets the requirement.
    expect(
      unmetStepUp({ acr: undefined, acrs: ['c1'], authTime: 1000 }, { acr: 'c1' }, ['c1'], 1000, 0),
    ).toBeUndefined();
  });

  it('with maxAge: 300, a step-up more than 5 minutes old no longer meets the guard', () => {
    const session = { acr: undefined, acrs: ['c1'], authTime: 1000 };
    const guard = { acr: 'c1', maxAge: 300 };
    expect(unmetStepUp(session, guard, ['c1'], 1300, 0)).toBeUndefined();
    expect(unmetStepUp(session, guard, ['c1'], 1301, 0)).toBeTruthy();
    // Without maxAge, the same step-up meets the guard for the rest of the session.
    expect(unmetStepUp(session, { acr: 'c1' }, ['c1'], 1000 + 86_400, 0)).toBeUndefined();
  });
});

describe('Google', () => {
  it('asks for offline access with access_type and consent, not offline_access', async () => {
    const { auth } = await import('../examples/idps/google');
    expect(auth.config.issuer.href).toBe('https://accounts.google.com/');
    expect(auth.config.scopes).toEqual(['openid', 'profile', 'email']);
    expect(auth.config.authorizationParams).toEqual({ access_type: 'offline', prompt: 'consent' });
    expect(auth.config.acrLevels).toEqual([]);
    expect(auth.routePaths).not.toContain('/auth/backchannel-logout');
  });

  it('gives roles to the Workspace domain only, not to a verified email of that domain', async () => {
    const { auth } = await import('../examples/idps/google');
    const none = { roles: [], permissions: [] };
    expect(rolesOf(auth.config, { hd: 'example.com', email: 'a@example.com' })).toEqual({
      roles: ['staff'],
      permissions: ['records:*'],
    });
    expect(rolesOf(auth.config, { email: 'a@example.com', email_verified: true })).toEqual(none);
    expect(rolesOf(auth.config, { hd: 'other.example', email: 'a@other.example' })).toEqual(none);
  });

  it("the preset's own mapper also takes the domain of a verified email", async () => {
    const preset = idpPresets.google({ domains: { 'example.com': ['staff'] } });
    expect(preset.roles!({ email: 'a@example.com', email_verified: true })).toEqual(['staff']);
    expect(preset.roles!({ email: 'a@example.com', email_verified: false })).toEqual([]);
  });

  it('workspaceOnly gives roles to Workspace accounts only', async () => {
    const { workspaceOnly } = await import('../examples/idps/google');
    expect(workspaceOnly({ hd: 'example.com', email: 'a@example.com' })).toEqual(['staff']);
    expect(workspaceOnly({ email: 'a@example.com', email_verified: true })).toEqual([]);
  });
});
