// Unit-test helpers. The latchkey server is not running in unit tests: `fetch` is stubbed with
// vi.fn returning Web `Response`s shaped like the session contract of @latchkey/core.
import { act, screen } from '@testing-library/react';
import { expect, type Mock, vi } from 'vitest';
import { type SessionResponse, useAuth } from '../src/index';

/** A signed-in session body of `GET /auth/session`. */
export function signedIn(
  overrides: Partial<Extract<SessionResponse, { authenticated: true }>> = {},
) {
  return {
    authenticated: true,
    user: { sub: 'alice', name: 'Alice Example', email: 'alice@example.com' },
    roles: ['accountant'],
    permissions: ['invoices:*', 'reports:read'],
    acr: 'urn:latchkey:acr:pwd',
    amr: ['pwd'],
    authTime: Math.floor(Date.now() / 1000) - 60,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    ...overrides,
  } satisfies SessionResponse;
}

export const signedOut = { authenticated: false } satisfies SessionResponse;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}

type FetchMock = Mock<(input: RequestInfo | URL, init?: RequestInit) => Promise<Response>>;

/** Stubs `globalThis.fetch`; each call takes the next response (the last one repeats). */
export function stubFetch(...responses: Array<Response | (() => Response | Promise<Response>)>) {
  let call = 0;
  const fetchMock: FetchMock = vi.fn(async () => {
    const next = responses[Math.min(call++, responses.length - 1)];
    if (!next) throw new TypeError('fetch failed');
    return typeof next === 'function' ? next() : next.clone();
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

/** A promise resolved from outside, to hold a response back. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Replaces `window.location` with a stub whose `assign` records navigations. */
export function stubLocation(href = 'http://localhost:3000/invoices?page=2') {
  const url = new URL(href);
  const assign = vi.fn<(url: string) => void>();
  vi.stubGlobal('location', {
    href: url.href,
    origin: url.origin,
    protocol: url.protocol,
    host: url.host,
    pathname: url.pathname,
    search: url.search,
    hash: url.hash,
    assign,
  });
  return assign;
}

/** The paths fetched so far. */
export const fetchedPaths = (fetchMock: FetchMock) =>
  fetchMock.mock.calls.map(([input]) => String(input));

/** Renders the auth state as text, with buttons for the actions. */
export function Probe({ id = 'probe' }: { id?: string }) {
  const auth = useAuth();
  return (
    <div data-testid={id}>
      <span data-testid={`${id}-status`}>{auth.status}</span>
      <span data-testid={`${id}-user`}>{auth.user?.name ?? ''}</span>
      <span data-testid={`${id}-error`}>{auth.error?.code ?? ''}</span>
      <button type="button" onClick={() => void auth.refresh()}>
        {`refresh ${id}`}
      </button>
      <button type="button" onClick={() => void auth.signOut().catch(() => {})}>
        {`sign out ${id}`}
      </button>
    </div>
  );
}

export const statusOf = (id = 'probe') => screen.getByTestId(`${id}-status`).textContent;
export const userOf = (id = 'probe') => screen.getByTestId(`${id}-user`).textContent;
export const errorOf = (id = 'probe') => screen.getByTestId(`${id}-error`).textContent;

/** Lets pending promises and React updates settle. */
export async function settle() {
  await act(async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  });
}

export function expectNavigation(assign: Mock<(url: string) => void>) {
  expect(assign).toHaveBeenCalledTimes(1);
  return new URL(assign.mock.calls[0]![0], 'http://localhost:3000');
}
