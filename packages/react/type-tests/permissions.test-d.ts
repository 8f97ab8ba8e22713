// Type test: once an app declares its permissions, a misspelt one is a compile error in hooks and
// components. Its own program (type-tests/tsconfig.json), since module augmentation is global.
import { can, sessionJson } from '@latchkey/core';
import {
  type Permission,
  RequirePermission,
  type RequirePermissionProps,
  type SessionResponse,
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

// One `Register`, shared with @latchkey/core: the permissions declared here type the server's too.
can({ roles: [], permissions: ['invoices:*'] }, 'invoices:read');
// @ts-expect-error: 'invoces:read' is not a declared permission, on the server either.
can({ roles: [], permissions: ['invoices:*'] }, 'invoces:read');

// The session JSON the server writes is the one the provider takes.
const initialSession: SessionResponse = sessionJson(null);
void initialSession;
