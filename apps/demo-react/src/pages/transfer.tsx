import { RequireStepUp, useAuth } from '@latchkey/react';
import { StepUpChoice } from '@latchkey/react/passkeys';
import type { ReactElement } from 'react';
import { SignInPrompt } from '../components';
import { ACR_MFA, STEP_UP_MAX_AGE } from '../config';
import { formatTime, isoTime } from '../format';

/**
 * `/transfer`: a page that itself needs a recent step-up (a one-time code or a passkey). Loaded
 * directly, the server sends the browser through the IdP's step-up first; reached inside the app,
 * the page offers both ways.
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
          fallback={
            <div className="panel" data-testid="transfer-step-up">
              <p>
                This page needs you to confirm it is you in the last 5 minutes: with a one-time code
                at the identity provider, or with one of your passkeys right here.
              </p>
              <StepUpChoice acr={ACR_MFA} maxAge={STEP_UP_MAX_AGE} returnTo="/transfer" />
            </div>
          }
        >
          <p data-testid="transfer-content">
            You stepped up to <code>{session?.acr}</code>
            {session?.authTime != null && (
              <>
                {' '}
                at <time dateTime={isoTime(session.authTime)}>{formatTime(session.authTime)}</time>
              </>
            )}
            {session?.amr.includes('hwk') || session?.amr.includes('swk') ? ' with a passkey' : ''}
            {'; for the next 5 minutes this page asks for nothing more.'}
          </p>
        </RequireStepUp>
      )}
    </>
  );
}
