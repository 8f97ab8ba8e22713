// Type test: once an app declares its permissions, a misspelt one is a compile error in hooks and
// components. Its own program (type-tests/tsconfig.json), since module augmentation is global.
import {
  type Permission,
  RequirePermission,
  type RequirePermissionProps,
  usePermission,
} from '@latchkey/react';
import { createElement } from 'react';

declare module '@latchkey/react' {
  interface Register {
    permissions: 'invoices:read' | 'invoices:write' | 'reports:read';
  }
}

export function Toolbar() {
  const canWrite: boolean = usePermission('invoices:write');
  // @ts-expect-error: 'invoces:write' is not a declared permission.
  usePermission('invoces:write');
  // @ts-expect-error: a wildcard is a grant the server gives, not a permission to ask for.
  usePermission('invoices:*');

  const ok: RequirePermissionProps = { permission: 'reports:read', fallback: null };
  // @ts-expect-error: 'reprots:read' is not a declared permission.
  const typo: RequirePermissionProps = { permission: 'reprots:read' };
  void typo;
  // @ts-expect-error: the component's permission prop is the declared union too.
  createElement(RequirePermission, { permission: 'reports:write' });
  return canWrite ? createElement(RequirePermission, ok) : null;
}

const declared: Permission = 'invoices:read';
// @ts-expect-error: Permission is the declared union, not any string.
const undeclared: Permission = 'anything';
void declared;
void undeclared;
