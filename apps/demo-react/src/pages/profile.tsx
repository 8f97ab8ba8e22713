import { RequireAuth, useAuth } from '@latchkey/react';
import { useAuthFetch } from '@latchkey/react/fetch';
import { type ReactElement, type ReactNode, useEffect, useState } from 'react';
import { describeError, describeFailure, readJson } from '../api';
import { SignInPrompt } from '../components';
import { describeAcr, formatTime, isoTime } from '../format';

function Fact({
  label,
  testId,
  children,
}: {
  label: string;
  testId?: string;
  children: ReactNode;
}): ReactElement {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

interface ApiIdentity {
  sub: string;
  roles?: string[];
  scopes?: string[];
  acr?: string | null;
}

type ApiViewState =
  | { kind: 'loading' }
  | { kind: 'loaded'; identity: ApiIdentity }
  | { kind: 'failed'; message: string };

/** What the API reads from the access token the backend sends it (`GET /api/me`). */
function ApiView(): ReactElement {
  const authFetch = useAuthFetch();
  const [state, setState] = useState<ApiViewState>({ kind: 'loading' });
  useEffect(() => {
    const abort = new AbortController();
    authFetch('/api/me', { headers: { accept: 'application/json' }, signal: abort.signal })
      .then(async (response) => {
        const body = await readJson(response);
        const sub = (body as { sub?: unknown } | undefined)?.sub;
        setState(
          response.ok && typeof sub === 'string'
            ? { kind: 'loaded', identity: body as ApiIdentity }
            : { kind: 'failed', message: describeFailure(response.status, body) },
        );
      })
      .catch((error: unknown) => {
        if (!abort.signal.aborted) setState({ kind: 'failed', message: describeError(error) });
      });
    return () => abort.abort();
  }, [authFetch]);

  return (
    <section aria-labelledby="api-view-heading" aria-busy={state.kind === 'loading'}>
      <h2 id="api-view-heading">What the API sees</h2>
      <p>
        The claims of the access token the backend attached to <code>GET /api/me</code>.
      </p>
      {state.kind === 'loading' && <p>Asking the API…</p>}
      {state.kind === 'failed' && (
        <p className="error" role="alert">
          {state.message}
        </p>
      )}
      {state.kind === 'loaded' && (
        <dl className="facts" data-testid="api-view">
          <Fact label="Subject">{state.identity.sub}</Fact>
          <Fact label="Scopes">{state.identity.scopes?.join(' ') || '(none)'}</Fact>
          <Fact label="Roles">{state.identity.roles?.join(', ') || '(none)'}</Fact>
          <Fact label="Level (acr)">
            <code>{state.identity.acr ?? '(none)'}</code>
          </Fact>
        </dl>
      )}
    </section>
  );
}

/** The facts of the session, for {@link ProfilePage} (signed in). */
function SessionFacts(): ReactElement | null {
  const { session } = useAuth();
  if (!session) return null;
  return (
    <>
      <dl className="facts" data-testid="profile">
        <Fact label="Name" testId="profile-name">
          {session.user.name ?? '(none)'}
        </Fact>
        <Fact label="Email" testId="profile-email">
          {session.user.email ?? '(none)'}
        </Fact>
        <Fact label="Subject">{session.user.sub}</Fact>
        <Fact label="Roles" testId="profile-roles">
          {session.roles.join(', ') || '(none)'}
        </Fact>
        <Fact label="Permissions" testId="profile-permissions">
          {session.permissions.join(', ') || '(none)'}
        </Fact>
        <Fact label="Authentication level (acr)" testId="profile-acr">
          <code>{session.acr ?? '(none)'}</code> ({describeAcr(session.acr, session.amr)})
        </Fact>
        <Fact label="Methods (amr)">{session.amr.join(', ') || '(none)'}</Fact>
        <Fact label="Authenticated at">
          {session.authTime === null ? (
            '(unknown)'
          ) : (
            <time dateTime={isoTime(session.authTime)}>{formatTime(session.authTime)}</time>
          )}
        </Fact>
      </dl>
      <ApiView />
    </>
  );
}

/**
 * `/profile`: the signed-in user as the session describes them. A route guard (`<RequireAuth>`);
 * signed out, it offers the sign-in rather than leaving at once, so the visitor sees why.
 */
export function ProfilePage(): ReactElement {
  return (
    <>
      <h1>Profile</h1>
      <RequireAuth
        redirect={false}
        fallback={<SignInPrompt to="see your profile" returnTo="/profile" />}
      >
        <SessionFacts />
      </RequireAuth>
    </>
  );
}
