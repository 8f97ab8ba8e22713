// The entry point with TanStack Router: the beforeLoad of /invoices waits for the session and
// sends a signed-out visitor to sign in, and back to /invoices.
import { AuthProvider, createAuthClient, SignedIn, SignedOut, useAuth } from '@latchkey/react';
import {
  createRootRoute,
  createRoute,
  createRouter,
  Link,
  Outlet,
  RouterProvider,
  redirect,
} from '@tanstack/react-router';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

// One client for the routes and the provider: they share one session request.
const auth = createAuthClient();

function Layout() {
  const { user } = useAuth();
  return (
    <>
      <nav>
        <Link to="/">Home</Link> <Link to="/invoices">Invoices</Link>
      </nav>
      <SignedIn>
        <p>Signed in as {user?.name}.</p>
      </SignedIn>
      <SignedOut>
        <p>Signed out.</p>
      </SignedOut>
      <Outlet />
    </>
  );
}

const root = createRootRoute({ component: Layout });
const home = createRoute({
  getParentRoute: () => root,
  path: '/',
  component: () => <h1>Home</h1>,
});
const invoices = createRoute({
  getParentRoute: () => root,
  path: '/invoices',
  beforeLoad: async ({ location }) => {
    const { status } = await auth.ready();
    if (status === 'authenticated') return;
    if (status === 'unavailable') throw new Error('The session cannot be checked now.');
    // /auth/login is the server's, not a route: leave the app with a full page load.
    throw redirect({
      href: `/auth/login?returnTo=${encodeURIComponent(location.href)}`,
      reloadDocument: true,
    });
  },
  component: () => <h1>Invoices</h1>,
});

const router = createRouter({ routeTree: root.addChildren([home, invoices]) });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AuthProvider client={auth}>
      <RouterProvider router={router} />
    </AuthProvider>
  </StrictMode>,
);
