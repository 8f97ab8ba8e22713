import { AuthErrorCodes, RequireStepUp, useAuth, useAuthFetch } from '@latchkey/react';
import { type FormEvent, type ReactElement, useEffect, useId, useState } from 'react';
import { describeError, describeFailure, hasAuthErrorCode, readJson } from '../api';
import { SignInPrompt } from '../components';
import { ACR_MFA, STEP_UP_MAX_AGE } from '../config';
import { useHydrated } from '../hydrated';

/** What the API answers to a payment (`201`). */
interface Payment {
  id: string;
  amount: number;
  to: string;
}

interface Draft {
  amount: string;
  to: string;
}

type PaymentState =
  | { kind: 'editing' }
  | { kind: 'sending' }
  | { kind: 'stepping-up' }
  | { kind: 'paid'; payment: Payment }
  | { kind: 'failed'; message: string };

/**
 * The form's values while the user is away for the one-time code, so they come back to a filled
 * form. Only the values: the payment itself is sent again only when the user submits.
 */
const DRAFT_KEY = 'latchkey-demo:payment-draft';

function saveDraft(draft: Draft): void {
  try {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
  } catch {
    // Storage off or full: the user types the payment again.
  }
}

/** Reads and forgets the draft; `undefined` when there is none. */
function takeDraft(): Draft | undefined {
  try {
    const text = sessionStorage.getItem(DRAFT_KEY);
    sessionStorage.removeItem(DRAFT_KEY);
    const draft: unknown = text === null ? undefined : JSON.parse(text);
    const { amount, to } = (draft ?? {}) as Partial<Record<keyof Draft, unknown>>;
    return typeof amount === 'string' && typeof to === 'string' ? { amount, to } : undefined;
  } catch {
    return undefined;
  }
}

function isPayment(body: unknown): body is Payment {
  const p = body as Partial<Payment> | undefined;
  return typeof p?.id === 'string' && typeof p.amount === 'number' && typeof p.to === 'string';
}

/**
 * The payment form. The API wants a one-time code from the last 5 minutes (RFC 9470): without
 * one, `authFetch` takes the user through it and back here, and the user sends again. The
 * request is never replayed on its own.
 */
function PaymentForm(): ReactElement {
  const authFetch = useAuthFetch();
  const hydrated = useHydrated();
  const id = useId();
  const [amount, setAmount] = useState('');
  const [to, setTo] = useState('');
  const [restored, setRestored] = useState(false);
  const [state, setState] = useState<PaymentState>({ kind: 'editing' });

  useEffect(() => {
    const draft = takeDraft();
    if (!draft) return;
    setAmount(draft.amount);
    setTo(draft.to);
    setRestored(true);
  }, []);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setRestored(false);
    setState({ kind: 'sending' });
    try {
      const response = await authFetch('/api/payments', {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ amount: Number(amount), to }),
      });
      const body = await readJson(response);
      if (response.ok && isPayment(body)) {
        setState({ kind: 'paid', payment: body });
        setAmount('');
        setTo('');
      } else {
        setState({ kind: 'failed', message: describeFailure(response.status, body) });
      }
    } catch (error) {
      if (hasAuthErrorCode(error, AuthErrorCodes.stepUpRequired)) {
        // The page is on its way to the one-time code; keep what the user typed for their return.
        saveDraft({ amount, to });
        setState({ kind: 'stepping-up' });
      } else {
        setState({ kind: 'failed', message: describeError(error) });
      }
    }
  };

  const busy = state.kind === 'sending' || state.kind === 'stepping-up';
  return (
    <>
      <form className="panel form" onSubmit={(event) => void submit(event)} aria-busy={busy}>
        <div className="field">
          <label htmlFor={`${id}-amount`}>Amount (EUR)</label>
          <input
            id={`${id}-amount`}
            name="amount"
            type="number"
            inputMode="decimal"
            min="0.01"
            step="0.01"
            required
            value={amount}
            onChange={(event) => setAmount(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>To</label>
          <input
            id={`${id}-to`}
            name="to"
            required
            maxLength={100}
            autoComplete="off"
            value={to}
            onChange={(event) => setTo(event.target.value)}
          />
        </div>
        <button type="submit" disabled={!hydrated || busy}>
          Send payment
        </button>
      </form>
      <div aria-live="polite" data-testid="payment-status">
        {restored && state.kind === 'editing' && (
          <p className="notice" data-testid="payment-resume">
            Code confirmed. Your payment has <strong>not</strong> been sent yet: check it and choose{' '}
            <strong>Send payment</strong> again.
          </p>
        )}
        {state.kind === 'sending' && <p>Sending…</p>}
        {state.kind === 'stepping-up' && (
          <p className="notice">
            The API asks for a one-time code first. Taking you there; you will come back here to
            send the payment.
          </p>
        )}
        {state.kind === 'paid' && (
          <p className="success" data-testid="payment-result">
            Payment sent: {state.payment.amount} EUR to {state.payment.to}. Reference{' '}
            <code data-testid="payment-id">{state.payment.id}</code>.
          </p>
        )}
        {state.kind === 'failed' && (
          <p className="error" role="alert">
            {state.message}
          </p>
        )}
      </div>
    </>
  );
}

/** `/payments`: a form posted to the API through the backend, with an RFC 9470 step-up. */
export function PaymentsPage(): ReactElement {
  const { status } = useAuth();
  return (
    <>
      <h1>Payments</h1>
      {status === 'unauthenticated' && <SignInPrompt to="send a payment" returnTo="/payments" />}
      {status === 'authenticated' && (
        <>
          <RequireStepUp
            acr={ACR_MFA}
            maxAge={STEP_UP_MAX_AGE}
            fallback={
              <p data-testid="step-up-needed">
                The API takes payments only with a one-time code from the last 5 minutes: it will
                ask for one when you send.
              </p>
            }
          >
            <p data-testid="step-up-fresh">
              You entered a one-time code in the last 5 minutes: payments go straight through.
            </p>
          </RequireStepUp>
          <PaymentForm />
        </>
      )}
    </>
  );
}
