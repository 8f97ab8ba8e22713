import { useAuth } from '@latchkey/react';
import type { AnchorHTMLAttributes, ReactElement, ReactNode } from 'react';
import { isPlainClick } from './router';

/**
 * `/auth/login?returnTo=...`: the route of the server that starts the sign-in. Slashes stay
 * readable; the server accepts same-origin paths only.
 */
export function signInHref(returnTo: string): string {
  return `/auth/login?returnTo=${encodeURIComponent(returnTo).replaceAll('%2F', '/')}`;
}

/** Props of {@link SignInLink}. */
export interface SignInLinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  /** The path to come back to after signing in. */
  returnTo: string;
  children?: ReactNode;
}

/**
 * The sign-in control: a real link to the server's sign-in route (it works before the scripts
 * load), handled by `signIn()` once they have.
 */
export function SignInLink({ returnTo, children, ...rest }: SignInLinkProps): ReactElement {
  const { signIn } = useAuth();
  return (
    <a
      className="button"
      {...rest}
      href={signInHref(returnTo)}
      onClick={(event) => {
        if (!isPlainClick(event)) return;
        event.preventDefault();
        signIn({ returnTo });
      }}
    >
      {children ?? 'Sign in'}
    </a>
  );
}

/** What a signed-out visitor sees on a page that needs a session. */
export function SignInPrompt({ to, returnTo }: { to: string; returnTo: string }): ReactElement {
  return (
    <div className="panel" data-testid="sign-in-prompt">
      <p>Sign in to {to}.</p>
      <p>
        <SignInLink returnTo={returnTo} />
      </p>
    </div>
  );
}
