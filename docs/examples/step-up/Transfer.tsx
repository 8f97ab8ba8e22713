// In a React app behind the server above (see the React guide for the provider).
// #region auth-fetch
import { RequireStepUp } from '@latchkey/react';
import { useAuthFetch } from '@latchkey/react/fetch';
import { useState } from 'react';

export function SendButton() {
  const authFetch = useAuthFetch();
  const [message, setMessage] = useState('');

  async function send() {
    try {
      const response = await authFetch('/api/transfers', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 10, to: 'bob' }),
      });
      setMessage(response.ok ? 'Sent.' : `The transfer failed (${response.status}).`);
    } catch (error) {
      // On a step-up challenge, authFetch has sent the page to the IdP and rejects with the code
      // `step_up_required`. Nothing was sent: the user clicks again once back.
      const code = (error as { code?: unknown }).code;
      setMessage(code === 'step_up_required' ? 'Confirm it is you first.' : String(error));
    }
  }

  return (
    <>
      <button type="button" onClick={() => void send()}>
        Send 10 EUR
      </button>
      {message && <p>{message}</p>}
    </>
  );
}
// #endregion auth-fetch

// #region require-step-up
export function TransferPanel() {
  return (
    <RequireStepUp
      acr="urn:latchkey:acr:mfa"
      maxAge={300}
      fallback={(stepUp) => (
        <button type="button" onClick={stepUp}>
          Confirm it is you to send money
        </button>
      )}
    >
      <SendButton />
    </RequireStepUp>
  );
}
// #endregion require-step-up
