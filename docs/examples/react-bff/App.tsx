// The React app. It never sees a token: it reads the session from the BFF and calls the API
// through it.
import { SignedIn, SignedOut, useAuth } from '@latchkey/react';
import { useAuthFetch } from '@latchkey/react/fetch';
import { useState } from 'react';

export function App() {
  const { status, user, error, signIn, signOut } = useAuth();
  const authFetch = useAuthFetch();
  const [answer, setAnswer] = useState('');

  // The browser sends its session cookie to the BFF; the BFF sends the access token to the API.
  async function callApi() {
    try {
      const response = await authFetch('/api/me');
      setAnswer(`${response.status} ${await response.text()}`);
    } catch (failure) {
      setAnswer(String(failure));
    }
  }

  if (status === 'loading') return <p>Loading...</p>;
  return (
    <main>
      <SignedOut>
        <button type="button" onClick={() => signIn()}>
          Sign in
        </button>
      </SignedOut>
      <SignedIn>
        <p>{`Signed in as ${user?.name ?? user?.sub}.`}</p>
        <button type="button" onClick={() => void callApi()}>
          Call the API
        </button>
        {/* signOut() rejects when the server kept the session; `error` then says why. */}
        <button type="button" onClick={() => void signOut().catch(() => {})}>
          Sign out
        </button>
        {answer && <pre>{answer}</pre>}
      </SignedIn>
      {error && <p role="alert">{error.message}</p>}
    </main>
  );
}
