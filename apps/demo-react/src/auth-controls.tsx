import { SignedIn, SignedOut, useAuth } from '@latchkey/react';
import { type FormEvent, type ReactElement, useState } from 'react';
import { describeError } from './api';
import { SignInLink } from './components';
import { useRouter } from './router';

/**
 * Sign in (a link) or sign out (a form). Sign-out posts `/auth/logout` through `signOut()`, which
 * tells the other tabs before it goes to the identity provider; without scripts the form posts
 * by itself.
 */
export function AuthControls(): ReactElement {
  const { user, signOut } = useAuth();
  const { path } = useRouter();
  const [problem, setProblem] = useState<string | null>(null);

  const onSignOut = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setProblem(null);
    signOut().catch((error: unknown) => setProblem(`Sign-out failed: ${describeError(error)}`));
  };

  return (
    <div className="auth-controls">
      <SignedOut>
        {/* From the home page, signing in leads to the profile. */}
        <SignInLink returnTo={path === '/' ? '/profile' : path} data-testid="sign-in" />
      </SignedOut>
      <SignedIn>
        <span className="who" data-testid="user-name">
          {user?.name ?? user?.sub}
        </span>
        <form method="post" action="/auth/logout" onSubmit={onSignOut}>
          <button type="submit" className="secondary" data-testid="sign-out">
            Sign out
          </button>
        </form>
      </SignedIn>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
