/**
 * `@latchkey/react/fetch`: `useAuthFetch`, a `fetch` for the app's own API that answers RFC 9470
 * step-up challenges and plain 401s. A subpath of its own, so that apps that call their API with
 * their data library's `fetch` load none of it; it shares the provider's context and `AuthError`
 * with the main entry (one file each in the build: tsup.config.ts).
 *
 * @module @latchkey/react/fetch
 */
import { parseStepUpChallenge } from '@latchkey/core/contract';
import { useCallback } from 'react';
import { useAuthContext } from './context';
import { AuthError } from './errors';
import type { AuthStore } from './store';

export { parseStepUpChallenge, type StepUpChallenge } from '@latchkey/core/contract';

/**
 * What `useAuthFetch` does with a plain 401 (no step-up challenge), after checking the session
 * again: `'signIn'` sends the user to sign in and back, `'reject'` rejects; both with
 * `AuthError('session_expired')`.
 */
export type OnUnauthenticated = 'signIn' | 'reject';

/** Options of {@link useAuthFetch}. */
export interface AuthFetchOptions {
  /**
   * What a plain 401 (no step-up challenge) does, after the session is checked again: by default
   * the 401 is returned as it came; `'signIn'` sends the user to sign in and back to this page,
   * `'reject'` rejects; both reject with `AuthError('session_expired')`.
   */
  onUnauthenticated?: OnUnauthenticated;
}

async function authFetch(
  store: AuthStore,
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  onUnauthenticated: OnUnauthenticated | undefined,
): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : input, location.href);
  if (url.origin !== location.origin) {
    throw new TypeError(`authFetch only calls this app's origin, not ${url.origin}.`);
  }
  const response = await fetch(input, { ...init, credentials: 'same-origin' });
  if (response.status !== 401) return response;
  const challenge = parseStepUpChallenge(response.headers.get('www-authenticate'));
  if (!challenge) {
    // A plain 401: the session is gone (expired, revoked, signed out elsewhere), or this API
    // does not take it.
    await store.refresh();
    if (!onUnauthenticated) return response;
    if (onUnauthenticated === 'signIn') store.signIn();
    throw new AuthError(
      'session_expired',
      `${url.pathname} answered 401: the session is not valid there${onUnauthenticated === 'signIn' ? '; on the way to sign in' : ''}.`,
      401,
    );
  }
  // RFC 9470: authenticate again as asked, then come back here. The request is not replayed.
  const { acrValues, maxAge } = challenge;
  const acr = acrValues.find((value) => store.acrLevels.includes(value)) ?? acrValues[0];
  store.stepUp({ acr, maxAge });
  throw new AuthError(
    'step_up_required',
    `${url.pathname} needs a stronger or newer sign-in: on the way to it; retry afterwards.`,
    401,
  );
}

/**
 * A `fetch` for this app's own API (the BFF): same origin only, with the session cookie. A `401`
 * carrying an RFC 9470 step-up challenge navigates to `/auth/step-up` (with the challenge's
 * `acr_values`/`max_age`, back to this page) and rejects with `step_up_required`: the request is
 * never replayed. A plain `401` checks the session again, then is returned as is, or as
 * `onUnauthenticated` says; other responses are returned as is.
 *
 * @example
 * const authFetch = useAuthFetch({ onUnauthenticated: 'signIn' });
 * const response = await authFetch('/api/payments', { method: 'POST', body });
 */
export function useAuthFetch({
  onUnauthenticated,
}: AuthFetchOptions = {}): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> {
  const { store } = useAuthContext();
  return useCallback(
    (input: RequestInfo | URL, init?: RequestInit) =>
      authFetch(store, input, init, onUnauthenticated),
    [store, onUnauthenticated],
  );
}
