/**
 * Role-based access control: roles come from IdP claims through a mapper, a policy maps roles to
 * permissions, and `can` answers whether a session holds a permission.
 */

/**
 * Declare your permission strings once, and every `can`, `definePolicy`, `requirePermission`,
 * `usePermission` and `<RequirePermission>` call is type-checked against them; your role names
 * type `useRole`, and the claims the server adds to the session's user (`sessionClaims`) type
 * `session.user` and `useUser()`. `@latchkey/core`,
 * `@latchkey/core/contract` and `@latchkey/react` share this one interface: declare it on the
 * package that you import (in a browser app, `@latchkey/react`).
 *
 * @example
 * declare module '@latchkey/core' {
 *   interface Register {
 *     permissions: 'invoices:read' | 'invoices:write' | 'reports:read';
 *     roles: 'admin' | 'viewer';
 *     user: { tenantId: string };
 *   }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by users through declaration merging.
export interface Register {}

/** A permission string: the union you declared in {@link Register}, or any string. */
export type Permission = Register extends {
  /** The union of permission strings declared on {@link Register}. */
  permissions: infer P extends string;
}
  ? P
  : string;

/** A role name: the union you declared in {@link Register} (`roles`), or any string. */
export type Role = Register extends {
  /** The union of role names declared on {@link Register}. */
  roles: infer R extends string;
}
  ? R
  : string;

/** A permission grant in a policy: an exact permission, a `prefix:*` wildcard, or `*`. */
export type PermissionGrant = Permission | `${string}:*` | '*';

/** Maps validated claims (ID token, or access token for APIs) to role names. */
export type RoleMapper = (claims: Record<string, unknown>) => string[];

/** Which permissions each role grants. Roles not listed grant nothing. */
export interface Policy {
  /** Each role name with the grants it gives: exact permissions, `prefix:*` wildcards or `*`. */
  roles: Record<string, readonly PermissionGrant[]>;
}

/** The parts of a session (or verified access token) that `can` reads. */
export interface Authorized {
  /** Role names, as the role mapper read them from the claims. */
  roles: readonly string[];
  /** Permission grants (wildcards included) that {@link can} matches a permission against. */
  permissions: readonly string[];
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

const path = (claims: Record<string, unknown>, keys: readonly string[]): unknown =>
  keys.reduce<unknown>(
    (value, key) =>
      value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
    claims,
  );

/** Role mappers for common IdPs. Each reads only the claims that IdP documents. */
export const roleMappers = {
  /** A plain array claim, `roles` by default (the dev IdP, many custom setups). */
  claim:
    (name = 'roles'): RoleMapper =>
    (claims) =>
      strings(claims[name]),
  /**
   * Auth0: roles added by an Action under a namespaced custom claim (e.g.
   * `https://example.com/roles`); access tokens of APIs with RBAC also carry `permissions`, which
   * {@link permissionsFromClaims} reads.
   */
  auth0:
    (namespace: string): RoleMapper =>
    (claims) =>
      strings(claims[namespace]),
  /** Okta: the `groups` claim (a groups claim configured on the authorization server or app). */
  okta:
    (claim = 'groups'): RoleMapper =>
    (claims) =>
      strings(claims[claim]),
  /**
   * Keycloak: realm roles from `realm_access.roles`, plus client roles from
   * `resource_access.<clientId>.roles` when a client id is given (prefixed `clientId:` unless
   * `prefixClientRoles` is false).
   */
  keycloak:
    (options: { clientId?: string; prefixClientRoles?: boolean } = {}): RoleMapper =>
    (claims) => {
      const realm = strings(path(claims, ['realm_access', 'roles']));
      if (!options.clientId) return realm;
      const client = strings(path(claims, ['resource_access', options.clientId, 'roles']));
      const prefix = options.prefixClientRoles === false ? '' : `${options.clientId}:`;
      return [...realm, ...client.map((role) => `${prefix}${role}`)];
    },
  /** Microsoft Entra ID: app roles in the `roles` claim. */
  entra: (): RoleMapper => (claims) => strings(claims.roles),
  /**
   * Google (Workspace): Google sends no roles. Map verified email domains (the `hd` claim, or the
   * domain of a verified `email`) to roles.
   */
  google:
    (domains: Record<string, readonly string[]>): RoleMapper =>
    (claims) => {
      const hd = typeof claims.hd === 'string' ? claims.hd : undefined;
      const email =
        typeof claims.email === 'string' && claims.email_verified === true
          ? claims.email
          : undefined;
      const domain = hd ?? email?.slice(email.lastIndexOf('@') + 1);
      return domain ? [...(domains[domain.toLowerCase()] ?? [])] : [];
    },
} as const;

/**
 * Permissions an IdP put directly in a token: Auth0's `permissions` array (RBAC for APIs) or an
 * OAuth `scope` string is not included: scopes are checked separately.
 */
export function permissionsFromClaims(claims: Record<string, unknown>): string[] {
  return strings(claims.permissions);
}

/** Defines a policy; the declared {@link Permission} type checks its grants. */
export function definePolicy(policy: Policy): Policy {
  return policy;
}

/** The grants a set of roles holds under a policy, deduplicated, in policy order. */
export function permissionsFor(roles: readonly string[], policy: Policy | undefined): string[] {
  if (!policy) return [];
  const granted = new Set<string>();
  for (const role of roles) for (const grant of policy.roles[role] ?? []) granted.add(grant);
  return [...granted];
}

/**
 * True when `grant` covers `permission`: equal, `*`, or a `prefix:*` wildcard of it (`invoices*`
 * and `*:read` cover nothing but themselves).
 */
export function grantCovers(grant: string, permission: string): boolean {
  if (grant === '*' || grant === permission) return true;
  return grant.endsWith(':*') && permission.startsWith(grant.slice(0, -1));
}

/** True when the session (or verified token) holds `permission`. Pure; never throws. */
export function can(subject: Authorized | null | undefined, permission: Permission): boolean {
  if (!subject) return false;
  const { permissions } = subject;
  if (!Object.isFrozen(permissions)) {
    return permissions.some((grant) => grantCovers(grant, permission));
  }
  const index = grantIndexOf(permissions);
  return (
    index.all ||
    index.exact.has(permission) ||
    index.prefixes.some((prefix) => permission.startsWith(prefix))
  );
}

/** What {@link grantCovers} asks of each grant, gathered once for a whole list. */
interface GrantIndex {
  all: boolean;
  exact: ReadonlySet<string>;
  /** `prefix:` of each `prefix:*` grant. */
  prefixes: readonly string[];
}

/**
 * Indexes of frozen permission lists (a session's are), kept as long as the list lives: {@link can}
 * looks a permission up in one rather than trying each grant, which grows with the list (bench:
 * micro, the "can()" rows: flat at about 60 ns from 10 to 1,000 grants). A list that is not frozen
 * may still change, so it is read grant by grant at each call.
 */
const grantIndexes = new WeakMap<readonly string[], GrantIndex>();

function grantIndexOf(permissions: readonly string[]): GrantIndex {
  let index = grantIndexes.get(permissions);
  if (!index) {
    index = {
      all: permissions.includes('*'),
      exact: new Set(permissions),
      prefixes: permissions
        .filter((grant) => grant.endsWith(':*'))
        .map((grant) => grant.slice(0, -1)),
    };
    grantIndexes.set(permissions, index);
  }
  return index;
}

/** True when the session holds `role`. */
export function hasRole(subject: Authorized | null | undefined, role: string): boolean {
  return subject?.roles.includes(role) ?? false;
}
