import { RequireStepUp, useAuth } from '@latchkey/react';
import { parseStepUpChallenge, type StepUpChallenge } from '@latchkey/react/fetch';
import { StepUpChoice } from '@latchkey/react/passkeys';
import { type FormEvent, type ReactElement, useEffect, useId, useState } from 'react';
import { describeError, describeFailure, readJson } from '../api';
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
  | { kind: 'stepping-up'; challenge: StepUpChallenge }
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

function forgetDraft(): void {
  try {
    sessionStorage.removeItem(DRAFT_KEY);
  } catch {
    // Storage off: nothing was kept.
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

/** The step-up an API challenge asks for, as `StepUpChoice` takes it. */
function stepUpOf({ acrValues, maxAge }: StepUpChallenge): { acr?: string; maxAge?: number } {
  return {
    ...(acrValues[0] === undefined ? {} : { acr: acrValues[0] }),
    ...(maxAge === undefined ? {} : { maxAge }),
  };
}

function isPayment(body: unknown): body is Payment {
  const p = body as Partial<Payment> | undefined;
  return typeof p?.id === 'string' && typeof p.amount === 'number' && typeof p.to === 'string';
}

/**
 * The payment form. The API wants a step-up from the last 5 minutes (RFC 9470): on its challenge
 * the form offers the IdP's one-time code (a round trip, after which the user sends again: the
 * request is never replayed on its own) or a passkey on this page, which sends the payment the
 * user just confirmed with it.
 */
function PaymentForm(): ReactElement {
  const { refresh } = useAuth();
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

  const send = async () => {
    setRestored(false);
    setState({ kind: 'sending' });
    try {
      // Plain fetch, not authFetch: the API's step-up challenge is answered here, with a choice.
      const response = await fetch('/api/payments', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ amount: Number(amount), to }),
      });
      const body = await readJson(response);
      const challenge =
        response.status === 401
          ? parseStepUpChallenge(response.headers.get('www-authenticate'))
          : undefined;
      if (response.ok && isPayment(body)) {
        forgetDraft();
        setState({ kind: 'paid', payment: body });
        setAmount('');
        setTo('');
      } else if (challenge) {
        // Kept for the one-time code's round trip; a passkey sends from this page.
        saveDraft({ amount, to });
        setState({ kind: 'stepping-up', challenge });
      } else {
        // A plain 401: the session may have ended; the provider shows it.
        if (response.status === 401) void refresh();
        setState({ kind: 'failed', message: describeFailure(response.status, body) });
      }
    } catch (error) {
      setState({ kind: 'failed', message: describeError(error) });
    }
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void send();
  };

  const busy = state.kind === 'sending' || state.kind === 'stepping-up';
  return (
    <>
      <form className="panel form" onSubmit={submit} aria-busy={busy}>
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
            Step-up done. Your payment has <strong>not</strong> been sent yet: check it and choose{' '}
            <strong>Send payment</strong> again.
          </p>
        )}
        {state.kind === 'sending' && <p>Sending…</p>}
        {state.kind === 'stepping-up' && (
          <div className="panel" data-testid="payment-step-up">
            <p className="notice">
              The API asks you to confirm it is you first: with a one-time code (you come back here
              to send the payment), or with a passkey (the payment is sent right after).
            </p>
            <StepUpChoice
              {...stepUpOf(state.challenge)}
              returnTo="/payments"
              onStepUp={() => void send()}
            />
          </div>
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
                The API takes payments only after a step-up in the last 5 minutes (a one-time code
                or a passkey): it will ask for one when you send.
              </p>
            }
          >
            <p data-testid="step-up-fresh">
              You stepped up in the last 5 minutes: payments go straight through.
            </p>
          </RequireStepUp>
          <PaymentForm />
        </>
      )}
    </>
  );
}
