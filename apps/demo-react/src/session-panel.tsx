import { useAuth } from '@latchkey/react';
import type { ReactElement } from 'react';
import { describeAcr, formatTime, isoTime } from './format';

function When({ at }: { at: number | null }): ReactElement {
  return at === null ? <>unknown</> : <time dateTime={isoTime(at)}>{formatTime(at)}</time>;
}

/**
 * The session as this tab knows it: status, level (`acr`), when the user authenticated and when
 * the session ends. Updates live when another tab signs out or the session changes.
 */
export function SessionPanel(): ReactElement {
  const { status, session, error } = useAuth();
  return (
    <aside className="session-panel" aria-labelledby="session-panel-title">
      <h2 id="session-panel-title">Session</h2>
      <p aria-live="polite">
        <span className={`status status-${status}`} data-testid="session-status">
          {status === 'loading'
            ? 'Checking…'
            : status === 'unavailable'
              ? 'Unknown'
              : status === 'authenticated'
                ? 'Signed in'
                : 'Signed out'}
        </span>
      </p>
      {session && (
        <dl>
          <dt>User</dt>
          <dd>{session.user.name ?? session.user.sub}</dd>
          <dt>Level (acr)</dt>
          <dd data-testid="session-acr">
            <code>{session.acr ?? 'none'}</code>
            <br />
            <small>{describeAcr(session.acr, session.amr)}</small>
          </dd>
          <dt>Authenticated</dt>
          <dd data-testid="session-auth-time">
            <When at={session.authTime} />
          </dd>
          <dt>Session ends</dt>
          <dd data-testid="session-expires">
            <When at={session.expiresAt} />
          </dd>
        </dl>
      )}
      {error && status !== 'unavailable' && (
        <p className="error" role="alert">
          {error.code === 'store_unavailable'
            ? 'The server cannot check sessions right now; retrying.'
            : error.message}
        </p>
      )}
    </aside>
  );
}
