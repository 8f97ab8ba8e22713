// Type test of what a frontend team writes (issue #21): typed claims and roles through
// `Register`, sign-in and sign-out options, refetch options, route guards and the auth client.
// Its own program with permissions.test-d.ts (type-tests/tsconfig.json): the declarations merge.
import {
  AuthProvider,
  AuthUnavailable,
  createAuthClient,
  RequireAuth,
  useAuth,
  useRole,
  useUser,
} from '@latchkey/react';
import { useAuthFetch } from '@latchkey/react/fetch';
import { MockAuthProvider, mockSession } from '@latchkey/react/testing';
import { createElement } from 'react';

declare module '@latchkey/react' {
  interface Register {
    roles: 'admin' | 'viewer';
    user: { tenantId: string };
  }
}

export function Header() {
  const user = useUser();
  const tenant: string | undefined = user?.tenantId;
  // @ts-expect-error: 'tenant' is not a declared claim of the user.
  void user?.tenant;
  const admin: boolean = useRole('admin');
  // @ts-expect-error: 'admn' is not a declared role.
  useRole('admn');
  const { signIn, signOut } = useAuth();
  signIn({ prompt: 'login', loginHint: 'alice@example.com', uiLocales: 'fr' });
  void signOut({ returnTo: '/' });
  // @ts-expect-error: signOut takes a returnTo, not a redirect.
  void signOut({ redirect: '/' });
  const authFetch = useAuthFetch({ onUnauthenticated: 'signIn' });
  // @ts-expect-error: onUnauthenticated is 'signIn' or 'reject'.
  useAuthFetch({ onUnauthenticated: 'ignore' });
  void authFetch;
  return admin ? tenant : null;
}

const client = createAuthClient({ basePath: '/auth', refetchInterval: 60 });
void client.ready().then((state) => state.session?.user.tenantId);

export const app = createElement(
  AuthProvider,
  { client, refetchOnWindowFocus: false, refetchInterval: 300, refetchWhenOffline: false },
  createElement(RequireAuth, { loading: 'one moment', returnTo: '/home' }, 'invoices'),
  createElement(AuthUnavailable, {
    // biome-ignore lint/correctness/noChildrenProp: a render prop, typed as the prop it is.
    children: (error, retry) => `${error.code}: ${typeof retry}`,
  }),
);

export const underTest = createElement(
  MockAuthProvider,
  {
    session: mockSession({ roles: ['admin'], permissions: ['*'], acr: 'urn:latchkey:acr:mfa' }),
    status: 'authenticated',
    onNavigate: (navigation) => navigation.type satisfies 'signIn' | 'stepUp' | 'signOut',
  },
  createElement(Header),
);
// @ts-expect-error: a status the provider never has.
createElement(MockAuthProvider, { status: 'expired' });
