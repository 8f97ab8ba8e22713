import { describe, expect, it } from 'vitest';
import {
  can,
  definePolicy,
  grantCovers,
  hasRole,
  permissionsFor,
  permissionsFromClaims,
  roleMappers,
} from './rbac';

// Token payloads below follow the claim layouts each IdP documents; the source is named per test.
describe('role mappers', () => {
  it('Auth0: roles from a namespaced custom claim, permissions from the access token', () => {
    // Auth0 docs, "Add user roles to ID and access tokens" (an Action sets `${namespace}/roles`)
    // and "Enable Role-Based Access Control for APIs" (the `permissions` claim of access tokens).
    const idToken = { sub: 'auth0|123', 'https://my-app.example.com/roles': ['admin', 'editor'] };
    const accessToken = {
      sub: 'auth0|123',
      scope: 'openid read:messages',
      permissions: ['read:messages', 'create:messages'],
    };
    expect(roleMappers.auth0('https://my-app.example.com/roles')(idToken)).toEqual([
      'admin',
      'editor',
    ]);
    expect(permissionsFromClaims(accessToken)).toEqual(['read:messages', 'create:messages']);
  });

  it('Okta: the groups claim', () => {
    // Okta docs, "Customize tokens returned from Okta with a Groups claim".
    const idToken = { sub: '00uid4BxXw6I6TV4m0g3', groups: ['Everyone', 'IT'] };
    expect(roleMappers.okta()(idToken)).toEqual(['Everyone', 'IT']);
  });

  it('Keycloak: realm roles and client roles', () => {
    // Keycloak Server Administration Guide, "Role scope mappings": realm_access / resource_access.
    const accessToken = {
      realm_access: { roles: ['offline_access', 'uma_authorization', 'admin'] },
      resource_access: { 'my-app': { roles: ['billing'] }, account: { roles: ['manage-account'] } },
    };
    expect(roleMappers.keycloak()(accessToken)).toEqual([
      'offline_access',
      'uma_authorization',
      'admin',
    ]);
    expect(roleMappers.keycloak({ clientId: 'my-app' })(accessToken)).toContain('my-app:billing');
    expect(
      roleMappers.keycloak({ clientId: 'my-app', prefixClientRoles: false })(accessToken),
    ).toContain('billing');
    expect(roleMappers.keycloak({ clientId: 'my-app' })(accessToken)).not.toContain(
      'account:manage-account',
    );
  });

  it('Keycloak: nothing from realm_access or resource_access that is not an object', () => {
    const keycloak = roleMappers.keycloak({ clientId: 'app' });
    expect(keycloak({ realm_access: null, resource_access: { app: null } })).toEqual([]);
    expect(keycloak({ realm_access: 'admin', resource_access: 7 })).toEqual([]);
  });

  it('Entra ID: app roles in the roles claim', () => {
    // Microsoft identity platform docs, "Add app roles to your application and receive them in the token".
    const idToken = { oid: '5c0e7e9c-0000', tid: 'tenant', roles: ['Survey.Create', 'Task.Write'] };
    expect(roleMappers.entra()(idToken)).toEqual(['Survey.Create', 'Task.Write']);
  });

  it('Google: no roles claim, so map the hosted domain or a verified email domain', () => {
    // Google Identity docs, "OpenID Connect": the ID token carries `hd` for Workspace accounts,
    // and `email` with `email_verified`.
    const map = roleMappers.google({ 'example.com': ['staff'] });
    expect(
      map({ sub: '1', hd: 'example.com', email: 'a@example.com', email_verified: true }),
    ).toEqual(['staff']);
    expect(map({ sub: '2', email: 'b@example.com', email_verified: true })).toEqual(['staff']);
    expect(map({ sub: '3', email: 'c@example.com', email_verified: false })).toEqual([]);
    expect(map({ sub: '4', email: 'd@gmail.com', email_verified: true })).toEqual([]);
  });

  it('the plain roles claim of the dev IdP, ignoring non-strings', () => {
    expect(roleMappers.claim()({ roles: ['admin', 42, 'viewer'] })).toEqual(['admin', 'viewer']);
    expect(roleMappers.claim()({ roles: 'admin' })).toEqual([]);
  });
});

describe('policy and can', () => {
  const policy = definePolicy({
    roles: { admin: ['*'], accountant: ['invoices:*', 'reports:read'], viewer: ['reports:read'] },
  });

  it('grants exact permissions, prefix wildcards and *', () => {
    expect(grantCovers('invoices:*', 'invoices:read')).toBe(true);
    expect(grantCovers('invoices:*', 'invoicesx:read')).toBe(false);
    expect(grantCovers('*', 'anything:at:all')).toBe(true);
    const accountant = {
      roles: ['accountant'],
      permissions: permissionsFor(['accountant'], policy),
    };
    expect(can(accountant, 'invoices:write')).toBe(true);
    expect(can(accountant, 'reports:read')).toBe(true);
    expect(can(accountant, 'payments:write')).toBe(false);
  });

  it.each([
    ['invoices*', 'invoices:read'],
    ['invoices*', 'invoicesx:read'],
    ['*:read', 'invoices:read'],
    ['*:*', 'invoices:read'],
    ['invoices:', 'invoices:read'],
    ['invoices', 'invoices:read'],
    ['invoices:read*', 'invoices:readall'],
    ['', 'invoices:read'],
  ])(
    'does not let the grant %j cover %j: only *, equal or a prefix:* wildcard',
    (grant, wanted) => {
      expect(grantCovers(grant, wanted)).toBe(false);
    },
  );

  it('matches nested wildcards by whole segments', () => {
    expect(grantCovers('invoices:eu:*', 'invoices:eu:read')).toBe(true);
    expect(grantCovers('invoices:eu:*', 'invoices:us:read')).toBe(false);
    expect(grantCovers('invoices:*', 'invoices:line:write')).toBe(true);
    expect(grantCovers('invoices:read', 'invoices:read')).toBe(true);
  });

  it('covers neither a sibling, the bare prefix, nor a wildcard asked for as a permission', () => {
    expect(grantCovers('invoices:read', 'invoices:write')).toBe(false);
    expect(grantCovers('invoices:*', 'invoices')).toBe(false);
    expect(grantCovers('invoices:read', 'invoices:*')).toBe(false);
  });

  it('answers the same for a long list of grants as grant by grant, and follows a list that changes', () => {
    const filler = Array.from({ length: 40 }, (_, index) => `filler-${index}:read`);
    const queries = [
      'invoices:read',
      'invoices:write',
      'invoices',
      'invoices:*',
      'reports:read',
      'filler-39:read',
      'filler-39:reads',
      'filler-39:rea',
      'filler-40:read',
      ':x',
      'x',
    ];
    for (const extra of [[], ['invoices:*'], ['*'], ['reports:read', '*:read'], [':*']]) {
      const grants = Object.freeze([...filler, ...extra]);
      for (const query of queries) {
        const expected = grants.some((grant) => grantCovers(grant, query));
        expect(can({ roles: [], permissions: grants }, query), `${extra} ${query}`).toBe(expected);
      }
    }
    expect(
      can({ roles: [], permissions: Object.freeze([...filler, 'invoices:*']) }, 'invoices:read'),
    ).toBe(true);
    expect(can({ roles: [], permissions: Object.freeze(filler) }, 'invoices:read')).toBe(false);
    // A list the app may still change is read as it is at each call.
    const mutable = [...filler, 'invoices:read'];
    expect(can({ roles: [], permissions: mutable }, 'invoices:read')).toBe(true);
    mutable.pop();
    expect(can({ roles: [], permissions: mutable }, 'invoices:read')).toBe(false);
  });

  it('denies the signed-out and roles the policy does not know', () => {
    expect(can(null, 'reports:read')).toBe(false);
    expect(hasRole(null, 'admin')).toBe(false);
    expect(hasRole(undefined, 'admin')).toBe(false);
    expect(hasRole({ roles: ['admin'], permissions: [] }, 'admin')).toBe(true);
    expect(hasRole({ roles: ['viewer'], permissions: [] }, 'admin')).toBe(false);
    expect(permissionsFor(['intern'], policy)).toEqual([]);
    expect(permissionsFor(['viewer', 'accountant'], policy)).toEqual([
      'reports:read',
      'invoices:*',
    ]);
  });
});
