// The entry point with React Router (data mode): the loader of /invoices waits for the session
// and sends a signed-out visitor to sign in, and back to /invoices.
import { AuthProvider, createAuthClient, SignedIn, SignedOut, useAuth } from '@latchkey/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import {
  createBrowserRouter,
  Link,
  type LoaderFunctionArgs,
  Outlet,
  RouterProvider,
  redirectDocument,
} from 'react-router';

// One client for the loaders and the provider: they share one session request.
const auth = createAuthClient();

async function requireSession({ request }: LoaderFunctionArgs) {
  const { status } = await auth.ready();
  if (status === 'authenticated') return null;
  if (status === 'unavailable')
    throw new Response('The session cannot be checked now.', { status: 503 });
  // /auth/login is the server's, not a route: leave the app with a full page load.
  const { pathname, search } = new URL(request.url);
  return redirectDocument(`/auth/login?returnTo=${encodeURIComponent(pathname + search)}`);
}

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

const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: '/', element: <h1>Home</h1> },
      { path: '/invoices', loader: requireSession, element: <h1>Invoices</h1> },
    ],
  },
]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AuthProvider client={auth}>
      <RouterProvider router={router} />
    </AuthProvider>
  </StrictMode>,
);
