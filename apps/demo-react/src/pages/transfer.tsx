import { RequireStepUp, useAuth } from '@latchkey/react';
import type { ReactElement } from 'react';
import { SignInPrompt } from '../components';
import { ACR_MFA, STEP_UP_MAX_AGE } from '../config';
import { formatTime, isoTime } from '../format';

/**
 * `/transfer`: a page that itself needs a recent one-time code. Loaded directly, the server sends
 * the browser through the step-up first; reached inside the app, the page offers it.
 */
export function TransferPage(): ReactElement {
  const { status, session } = useAuth();
  return (
    <>
      <h1>Transfer money</h1>
      {status === 'unauthenticated' && <SignInPrompt to="transfer money" returnTo="/transfer" />}
      {status === 'authenticated' && (
        <RequireStepUp
          acr={ACR_MFA}
          maxAge={STEP_UP_MAX_AGE}
          fallback={(stepUp) => (
            <div className="panel" data-testid="transfer-step-up">
              <p>This page needs a one-time code entered in the last 5 minutes.</p>
              <button type="button" onClick={stepUp}>
                Verify it's you
              </button>
            </div>
          )}
        >
          <p data-testid="transfer-content">
            You stepped up to <code>{session?.acr}</code>
            {session?.authTime != null && (
              <>
                {' '}
                at <time dateTime={isoTime(session.authTime)}>{formatTime(session.authTime)}</time>
              </>
            )}
            ; for the next 5 minutes this page needs no new code.
          </p>
        </RequireStepUp>
      )}
    </>
  );
}
