// Type test: once an app declares its permissions, a misspelt one is a compile error everywhere.
import { can, definePolicy, type Permission } from '@latchkey/core';
import { type Permission as BrowserPermission, grantCovers } from '@latchkey/core/contract';

declare module '@latchkey/core' {
  interface Register {
    permissions: 'invoices:read' | 'invoices:write' | 'reports:read';
  }
}

const session = { roles: ['accountant'], permissions: ['invoices:*'] };

can(session, 'invoices:read');
// @ts-expect-error: 'invoces:read' is not a declared permission.
can(session, 'invoces:read');

definePolicy({ roles: { accountant: ['invoices:*', 'reports:read'], admin: ['*'] } });
// @ts-expect-error: 'reprots:read' is not a declared permission, nor a wildcard.
definePolicy({ roles: { viewer: ['reprots:read'] } });

const declared: Permission = 'reports:read';
// @ts-expect-error: Permission is the declared union, not any string.
const undeclared: Permission = 'anything';
void declared;
void undeclared;

// The browser-safe contract (what @latchkey/react re-exports) shares the one Register.
const inBrowser: BrowserPermission = 'invoices:write';
// @ts-expect-error: the contract's Permission is the declared union too.
const typoInBrowser: BrowserPermission = 'invoices:wrte';
grantCovers('invoices:*', inBrowser);
void typoInBrowser;
