/**
 * Declare your app's permissions once to get typed {@link usePermission} and
 * {@link RequirePermission} (a misspelt permission becomes a compile error):
 *
 * @example
 * declare module '@latchkey/react' {
 *   interface Register { permissions: 'invoices:read' | 'invoices:write' | 'reports:read' }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by users through declaration merging.
export interface Register {}

/** A permission string: the union declared in {@link Register}, or any string. */
export type Permission = Register extends { permissions: infer P extends string } ? P : string;

/**
 * True when a grant from the session covers `permission`: the same string, `*`, or a `prefix:*`
 * wildcard whose prefix (with its colon) starts the permission. The same rule as the server's.
 */
export function grantCovers(grant: string, permission: string): boolean {
  return (
    grant === '*' ||
    grant === permission ||
    (grant.endsWith(':*') && permission.startsWith(grant.slice(0, -1)))
  );
}
