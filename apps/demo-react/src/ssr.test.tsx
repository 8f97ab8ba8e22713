import { describe, expect, it } from 'vitest';
import { checkTemplate, FALLBACK_TEMPLATE, renderDocument } from './ssr';

const alice = {
  authenticated: true as const,
  user: { sub: 'usr_alice', name: 'Alice Example', email: 'alice@example.com' },
  roles: ['admin', 'viewer'],
  permissions: ['*'],
  acr: 'urn:latchkey:acr:pwd',
  amr: ['pwd'],
  authTime: 1_767_225_600,
  expiresAt: 1_767_312_000,
};
const bob = { ...alice, user: { sub: 'usr_bob', name: 'Bob Example' }, roles: ['viewer'] };

const sessionData = (html: string) =>
  /<script type="application\/json" id="latchkey-session">(.*?)<\/script>/.exec(html)?.[1];

describe('renderDocument', () => {
  it('renders the profile with the session facts and embeds the session for hydration', () => {
    const html = renderDocument(FALLBACK_TEMPLATE, '/profile', alice);
    expect(html).toContain('<title>Profile · latchkey demo</title>');
    expect(html).toContain('Alice Example');
    expect(html).toContain('alice@example.com');
    expect(html).toContain('admin, viewer');
    expect(html).toContain('urn:latchkey:acr:pwd');
    // Times in UTC, the same text wherever the server and the browser are.
    expect(html).toContain('2026-01-01 00:00:00 UTC');
    expect(JSON.parse(sessionData(html) ?? '')).toEqual(alice);
  });

  it('escapes "<" in the session data, so no value can close the script element', () => {
    const name = "</script><script>alert(1)</script> $& $'";
    const html = renderDocument(FALLBACK_TEMPLATE, '/', { ...alice, user: { sub: 'x', name } });
    expect(html).not.toContain('</script><script>alert(1)');
    expect(JSON.parse(sessionData(html) ?? '').user.name).toBe(name);
    // `$&` and `$'` are text, not replacement patterns.
    expect(html).toContain('$&amp; $&#x27;');
  });

  it('shows the sign-in link to signed-out visitors, back to the profile from home', () => {
    const html = renderDocument(FALLBACK_TEMPLATE, '/', { authenticated: false });
    expect(html).toContain('href="/auth/login?returnTo=/profile"');
    expect(html).toContain('You are signed out.');
    expect(sessionData(html)).toBe('{"authenticated":false}');
  });

  it('tells bob that the admin page is not for him', () => {
    const html = renderDocument(FALLBACK_TEMPLATE, '/admin', bob);
    expect(html).toContain('Not allowed');
    expect(html).not.toContain('data-testid="admin-content"');
    expect(renderDocument(FALLBACK_TEMPLATE, '/admin', alice)).toContain(
      'Only the <code>admin</code> role',
    );
  });

  it('offers the step-up on /transfer until the session has a recent one (the passkey button waits for the browser)', () => {
    const now = Math.floor(Date.now() / 1000);
    const pwd = renderDocument(FALLBACK_TEMPLATE, '/transfer', { ...alice, authTime: now });
    expect(pwd).toContain('Use the one-time code');
    const mfa = { ...alice, acr: 'urn:latchkey:acr:mfa', authTime: now - 10 };
    expect(renderDocument(FALLBACK_TEMPLATE, '/transfer', mfa)).toContain(
      'data-testid="transfer-content"',
    );
    const stale = { ...mfa, authTime: now - 301 };
    expect(renderDocument(FALLBACK_TEMPLATE, '/transfer', stale)).toContain(
      'Use the one-time code',
    );
  });

  it('renders the loading state and no session data when the session is unknown', () => {
    const html = renderDocument(FALLBACK_TEMPLATE, '/profile', undefined);
    expect(sessionData(html)).toBeUndefined();
    expect(html).toContain('Checking…');
    expect(html).not.toContain('data-testid="sign-in"');
  });

  it('knows its pages, trailing slash or not, and says when a path is none of them', () => {
    const payments = renderDocument(FALLBACK_TEMPLATE, '/payments/', alice);
    expect(payments).toContain('<title>Payments · latchkey demo</title>');
    const nowhere = renderDocument(FALLBACK_TEMPLATE, '/nowhere', alice);
    expect(nowhere).toContain('<title>Not found · latchkey demo</title>');
    expect(nowhere).toContain('Page not found');
  });
});

describe('checkTemplate', () => {
  it('refuses an index.html without the placeholders', () => {
    expect(() => checkTemplate(FALLBACK_TEMPLATE)).not.toThrow();
    expect(() => checkTemplate('<html><title>x</title><div id="root"></div></html>')).toThrow(
      /rebuild apps\/demo-react/,
    );
  });
});
