// Two providers in one jsdom stand for two tabs: each opens its own BroadcastChannel('latchkey'),
// and Node's BroadcastChannel delivers between instances of one process like a browser does
// between tabs. Unmounting (cleanup after each test) closes them. The server is not running:
// `fetch` is stubbed with Web Responses.
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  fetchedPaths,
  json,
  Probe,
  settle,
  signedIn,
  signedOut,
  statusOf,
  stubFetch,
  stubLocation,
  userOf,
} from '../test/helpers';
import { AuthProvider } from './index';

function twoTabs(initialSession = signedIn()) {
  return render(
    <>
      <AuthProvider initialSession={initialSession}>
        <Probe id="a" />
      </AuthProvider>
      <AuthProvider initialSession={initialSession}>
        <Probe id="b" />
      </AuthProvider>
    </>,
  );
}

describe('BroadcastChannel in this process', () => {
  const opened: BroadcastChannel[] = [];
  afterEach(() => {
    for (const channel of opened.splice(0)) channel.close();
  });

  test('carries messages between two instances of the same name', async () => {
    const sender = new BroadcastChannel('latchkey-selftest');
    const receiver = new BroadcastChannel('latchkey-selftest');
    opened.push(sender, receiver);
    const received = new Promise((resolve) => {
      receiver.onmessage = (event) => resolve(event.data);
    });
    sender.postMessage({ hello: 'tab' });
    await expect(received).resolves.toEqual({ hello: 'tab' });
  });
});

describe('cross-tab sync', () => {
  test('signOut in one tab shows the other signed out, and is told before navigating', async () => {
    const assign = stubLocation();
    const post = vi.spyOn(BroadcastChannel.prototype, 'postMessage');
    const fetchMock = stubFetch(json({ redirectTo: 'https://idp.example/session/end' }));
    twoTabs();
    expect(statusOf('b')).toBe('authenticated');

    fireEvent.click(screen.getByText('sign out a'));
    await waitFor(() => expect(statusOf('b')).toBe('unauthenticated'));
    expect(statusOf('a')).toBe('unauthenticated');
    expect(assign).toHaveBeenCalledWith('https://idp.example/session/end');
    expect(post).toHaveBeenCalledTimes(1);
    expect(post.mock.invocationCallOrder[0]!).toBeLessThan(assign.mock.invocationCallOrder[0]!);
    expect(fetchMock).toHaveBeenCalledTimes(1); // tab b did not ask the server
  });

  test('a refresh in one tab updates the other without a second fetch', async () => {
    const fetchMock = stubFetch(json(signedIn({ user: { sub: 'alice', name: 'Alice Renamed' } })));
    twoTabs();
    fireEvent.click(screen.getByText('refresh a'));
    await waitFor(() => expect(userOf('b')).toBe('Alice Renamed'));
    expect(userOf('a')).toBe('Alice Renamed');
    expect(fetchedPaths(fetchMock)).toEqual(['/auth/session']);
  });

  test('a tab that just heard from another skips its own focus refetch', async () => {
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000_000_000);
    const fetchMock = stubFetch(json(signedOut));
    twoTabs();
    now.mockReturnValue(1_000_000_060_000); // the page's session is no longer fresh news
    fireEvent.click(screen.getByText('refresh a'));
    await waitFor(() => expect(statusOf('b')).toBe('unauthenticated'));
    expect(fetchMock).toHaveBeenCalledTimes(1);

    fireEvent.focus(window); // both tabs hear it: a checked, b was told
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(1);

    now.mockReturnValue(1_000_000_120_000);
    fireEvent.focus(window); // stale again: both check (in one window, both tabs see this focus)
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(3);
  });

  test('a tab still loading takes the news and drops its own stale answer', async () => {
    let answer!: (response: Response) => void;
    const fetchMock = stubFetch(
      () =>
        new Promise<Response>((resolve) => {
          answer = resolve;
        }),
      json(signedOut),
    );
    render(
      <>
        <AuthProvider>
          <Probe id="loading" />
        </AuthProvider>
        <AuthProvider initialSession={signedIn()}>
          <Probe id="other" />
        </AuthProvider>
      </>,
    );
    expect(statusOf('loading')).toBe('loading');
    fireEvent.click(screen.getByText('refresh other'));
    await waitFor(() => expect(statusOf('loading')).toBe('unauthenticated'));
    answer(json(signedIn())); // the first tab's request, started before the sign-out
    await settle();
    expect(statusOf('loading')).toBe('unauthenticated');
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  test('ignores messages of another basePath and malformed ones', async () => {
    twoTabs();
    const foreign = new BroadcastChannel('latchkey');
    try {
      foreign.postMessage({ v: 1, basePath: '/other-app/auth', session: signedOut });
      foreign.postMessage({ v: 1, basePath: '/auth', session: { authenticated: 'yes' } });
      foreign.postMessage({ v: 2, basePath: '/auth', session: signedOut });
      foreign.postMessage('sign out please');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(statusOf('a')).toBe('authenticated');
      expect(statusOf('b')).toBe('authenticated');
      foreign.postMessage({ v: 1, basePath: '/auth', session: signedOut });
      await waitFor(() => expect(statusOf('a')).toBe('unauthenticated'));
    } finally {
      foreign.close();
    }
  });
});
