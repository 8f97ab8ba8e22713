import { useAuth, useRole } from '@latchkey/react';
import type { ReactElement } from 'react';
import { SignInPrompt } from '../components';

/**
 * `/admin`: for the `admin` role. Others see why not; the server answers this page with 403 to
 * them, and would refuse any admin API call whatever the page shows.
 */
export function AdminPage(): ReactElement {
  const { status, roles, permissions } = useAuth();
  const isAdmin = useRole('admin');
  return (
    <>
      <h1>Admin</h1>
      {status === 'unauthenticated' && <SignInPrompt to="open the admin page" returnTo="/admin" />}
      {status === 'authenticated' &&
        (isAdmin ? (
          <p data-testid="admin-content">
            Only the <code>admin</code> role sees this page. Your permissions:{' '}
            <code>{permissions.join(' ') || '(none)'}</code>.
          </p>
        ) : (
          <div className="alert" role="alert" data-testid="admin-denied">
            <h2>Not allowed</h2>
            <p>
              This page is for the <code>admin</code> role; your roles:{' '}
              {roles.join(', ') || '(none)'}. The server refuses it too: loaded directly, it answers{' '}
              <code>403 forbidden</code>.
            </p>
          </div>
        ))}
    </>
  );
}
