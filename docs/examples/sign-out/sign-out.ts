// In the browser, for a page that signs out from a script rather than a form.

/** Ends the session at the app, then sends the browser to the IdP to end the session there. */
export async function signOut(): Promise<void> {
  // The browser adds the Origin header that latchkey checks.
  const response = await fetch('/auth/logout', {
    method: 'POST',
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`Sign-out failed with HTTP ${response.status}.`);
  const { redirectTo } = (await response.json()) as { redirectTo: string };
  window.location.assign(redirectTo);
}
