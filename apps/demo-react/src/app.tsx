import { AuthProvider, AuthUnavailable, type SessionResponse } from '@latchkey/react';
import { type ReactElement, useEffect, useRef } from 'react';
import { AuthControls } from './auth-controls';
import { ACR_LEVELS } from './config';
import { Link, Router, useRouter } from './router';
import { documentTitle, ROUTES, routeFor } from './routes';
import { SessionPanel } from './session-panel';

/** Props of {@link App}. */
export interface AppProps {
  /** The path to show first. */
  path: string;
  /**
   * The session the server rendered the page with (the `GET /auth/session` body); `undefined`
   * when unknown, and the provider then asks the server.
   */
  initialSession?: SessionResponse | null | undefined;
}

function Shell(): ReactElement {
  const { path } = useRouter();
  const route = routeFor(path);
  const shownPath = useRef(path);

  useEffect(() => {
    document.documentElement.dataset.hydrated = 'true';
  }, []);

  useEffect(() => {
    document.title = documentTitle(route);
    // After an in-app navigation, move focus to the new page, as a page load would.
    if (shownPath.current !== path) {
      shownPath.current = path;
      document.getElementById('main')?.focus();
    }
  }, [path, route]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          latchkey <span>demo</span>
        </Link>
        <nav aria-label="Main">
          <ul>
            {ROUTES.map(({ path: to, title }) => (
              <li key={to}>
                <Link to={to}>{title}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <AuthControls />
      </header>
      <AuthUnavailable>
        {(error, retry) => (
          <div className="alert" role="alert" data-testid="session-unavailable">
            <p>
              The server could not tell whether you are signed in (<code>{error.code}</code>). It
              keeps trying.
            </p>
            <button type="button" onClick={() => void retry()}>
              Try again
            </button>
          </div>
        )}
      </AuthUnavailable>
      <div className="layout">
        <main id="main" tabIndex={-1}>
          <route.Page />
        </main>
        <SessionPanel />
      </div>
    </>
  );
}

/** The demo app: session provider, router and pages. Renders on the server and in the browser. */
export function App({ path, initialSession }: AppProps): ReactElement {
  const session = initialSession === undefined ? {} : { initialSession };
  return (
    <AuthProvider acrLevels={ACR_LEVELS} {...session}>
      <Router initialPath={path}>
        <Shell />
      </Router>
    </AuthProvider>
  );
}
