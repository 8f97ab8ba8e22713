import { RequirePermission, SignedIn, SignedOut, useAuth } from '@latchkey/react';
import { useAuthFetch } from '@latchkey/react/fetch';
import {
  isPasskeyAutofillSupported,
  PasskeySignInButton,
  usePasskeySignIn,
} from '@latchkey/react/passkeys';
import { type ReactElement, useEffect, useId, useState } from 'react';
import { describeError, describeFailure, readJson } from '../api';
import { useHydrated } from '../hydrated';
import { Link } from '../router';

interface Report {
  id: string;
  title: string;
  total: number;
}

type ReportsState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'loaded'; reports: Report[] }
  | { kind: 'failed'; message: string };

function isReportList(body: unknown): body is { reports: Report[] } {
  const reports = (body as { reports?: unknown } | undefined)?.reports;
  return (
    Array.isArray(reports) &&
    reports.every(
      (r: Partial<Report>) =>
        typeof r?.id === 'string' && typeof r.title === 'string' && typeof r.total === 'number',
    )
  );
}

const money = (value: number) => `${value.toLocaleString('en-US')} EUR`;

/** Reports from the API, through the backend: `GET /api/reports` needs `reports:read`. */
function ReportList(): ReactElement {
  const authFetch = useAuthFetch();
  const hydrated = useHydrated();
  const [state, setState] = useState<ReportsState>({ kind: 'idle' });

  const load = async () => {
    setState({ kind: 'loading' });
    try {
      const response = await authFetch('/api/reports', { headers: { accept: 'application/json' } });
      const body = await readJson(response);
      setState(
        response.ok && isReportList(body)
          ? { kind: 'loaded', reports: body.reports }
          : { kind: 'failed', message: describeFailure(response.status, body) },
      );
    } catch (error) {
      setState({ kind: 'failed', message: describeError(error) });
    }
  };

  return (
    <>
      <p>
        The API (<code>GET /api/reports</code>) wants the <code>reports:read</code> permission in an
        access token. The browser has no token: the backend adds yours when it forwards the call.
      </p>
      <button
        type="button"
        onClick={() => void load()}
        disabled={!hydrated || state.kind === 'loading'}
      >
        Load reports
      </button>
      {state.kind === 'loading' && <p role="status">Loading…</p>}
      {state.kind === 'failed' && (
        <p className="error" role="alert">
          {state.message}
        </p>
      )}
      {state.kind === 'loaded' && (
        <table data-testid="reports">
          <caption className="visually-hidden">Reports</caption>
          <thead>
            <tr>
              <th scope="col">Report</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {state.reports.map((report) => (
              <tr key={report.id}>
                <td>{report.title}</td>
                <td className="number">{money(report.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/**
 * Passkey sign-in for a signed-out visitor: a button, and the browser's autofill on a username
 * field (`autocomplete="username webauthn"`), which offers the passkeys of this site as the user
 * types. The two never collide: the button's ceremony replaces a waiting autofill request.
 */
function PasskeySignIn(): ReactElement {
  const id = useId();
  const { signIn, error } = usePasskeySignIn();
  useEffect(() => {
    void isPasskeyAutofillSupported().then((supported) => {
      if (supported) void signIn({ autofill: true });
    });
  }, [signIn]);
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Or use a passkey</h2>
      <form className="form" onSubmit={(event) => event.preventDefault()}>
        <div className="field">
          <label htmlFor={`${id}-username`}>Username</label>
          <input
            id={`${id}-username`}
            name="username"
            autoComplete="username webauthn"
            aria-describedby={`${id}-hint`}
          />
          <p id={`${id}-hint`} className="hint">
            Your passkeys for this site appear in this field's suggestions.
          </p>
        </div>
      </form>
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      <PasskeySignInButton />
    </section>
  );
}

/** `/`: what the demo shows, and the reports for those allowed to read them. */
export function HomePage(): ReactElement {
  const { user } = useAuth();
  return (
    <>
      <h1>latchkey demo</h1>
      <p className="lead">
        A React app whose sign-in lives on the server. The browser keeps one <code>HttpOnly</code>{' '}
        cookie; the tokens stay with the Express backend, which calls the API for the page.
      </p>
      <SignedOut>
        <p data-testid="signed-out">You are signed out.</p>
        <p>
          Choose <strong>Sign in</strong>: the dev identity provider lists its test users (alice is
          an admin, bob is not).
        </p>
        <PasskeySignIn />
      </SignedOut>
      <SignedIn>
        <p data-testid="signed-in">
          Signed in as <strong>{user?.name ?? user?.sub}</strong>.
        </p>
        <h2>Things to try</h2>
        <ul>
          <li>
            <Link to="/profile">Profile</Link>: who you are, your roles and permissions.
          </li>
          <li>
            <Link to="/admin">Admin</Link>: for the <code>admin</code> role only.
          </li>
          <li>
            <Link to="/payments">Payments</Link>: the API asks for a one-time code or a passkey when
            you send.
          </li>
          <li>
            <Link to="/transfer">Transfer</Link>: the page itself asks for a recent one-time code or
            passkey.
          </li>
          <li>
            <Link to="/passkeys">Passkeys</Link>: add one, then sign out and sign in with it.
          </li>
          <li>Open this page in a second tab, then sign out in one: both show it.</li>
        </ul>
        <section aria-labelledby="reports-heading">
          <h2 id="reports-heading">Reports</h2>
          <RequirePermission
            permission="reports:read"
            fallback={
              <p>
                Your roles do not grant <code>reports:read</code>.
              </p>
            }
          >
            <ReportList />
          </RequirePermission>
        </section>
      </SignedIn>
    </>
  );
}
