import { RequireStepUp, useAuth } from '@latchkey/react';
import { type PasskeyJson, StepUpChoice, usePasskeys } from '@latchkey/react/passkeys';
import { type FormEvent, type ReactElement, useId, useState } from 'react';
import { SignInPrompt } from '../components';
import { ACR_MFA, STEP_UP_MAX_AGE } from '../config';
import { formatTime, isoTime } from '../format';
import { useHydrated } from '../hydrated';

/** One passkey: its name (renamed in place), when it was added and last used, and removal. */
function PasskeyItem({
  passkey,
  busy,
  rename,
  remove,
}: {
  passkey: PasskeyJson;
  busy: boolean;
  rename: (id: string, name: string) => Promise<boolean>;
  remove: (id: string) => Promise<boolean>;
}): ReactElement {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(passkey.name);

  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (await rename(passkey.id, name)) setEditing(false);
  };

  return (
    <li className="panel" data-testid="passkey">
      {editing ? (
        <form className="form" onSubmit={(event) => void save(event)}>
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input
              id={`${id}-name`}
              required
              maxLength={64}
              value={name}
              onChange={(event) => setName(event.target.value)}
            />
          </div>
          <button type="submit" disabled={busy}>
            Save
          </button>{' '}
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <p>
          <strong data-testid="passkey-name">{passkey.name}</strong>
          {passkey.backedUp ? ' (synced)' : ''}
        </p>
      )}
      <p>
        Added <time dateTime={isoTime(passkey.createdAt)}>{formatTime(passkey.createdAt)}</time>
        {'. '}
        {passkey.lastUsedAt === null ? (
          'Not used yet.'
        ) : (
          <>
            Last used{' '}
            <time dateTime={isoTime(passkey.lastUsedAt)}>{formatTime(passkey.lastUsedAt)}</time>.
          </>
        )}
      </p>
      {!editing && (
        <p>
          <button type="button" disabled={busy} onClick={() => setEditing(true)}>
            Rename
          </button>{' '}
          <button type="button" disabled={busy} onClick={() => void remove(passkey.id)}>
            Remove
          </button>
        </p>
      )}
    </li>
  );
}

/** The signed-in user's passkeys: add, rename and remove them. */
function PasskeyManager(): ReactElement {
  const { passkeys, loading, error, supported, register, rename, remove } = usePasskeys();
  const hydrated = useHydrated();
  return (
    <>
      <p>
        A passkey signs you in without the identity provider, and stands in for the one-time code on{' '}
        <strong>Transfer</strong> and <strong>Payments</strong>. It stays on your device (or in your
        password manager); this app keeps only its public key.
      </p>
      {hydrated && !supported && (
        <p className="notice">This browser cannot use passkeys (no WebAuthn).</p>
      )}
      <RequireStepUp
        acr={ACR_MFA}
        maxAge={STEP_UP_MAX_AGE}
        fallback={
          <div className="panel" data-testid="passkey-step-up">
            <p>
              A passkey will stand in for the one-time code, so adding one needs you to confirm it
              is you first (in the last 5 minutes).
            </p>
            <StepUpChoice acr={ACR_MFA} maxAge={STEP_UP_MAX_AGE} returnTo="/passkeys" />
          </div>
        }
      >
        <p>
          <button
            type="button"
            data-testid="add-passkey"
            disabled={!hydrated || !supported || loading}
            onClick={() => void register()}
          >
            Add a passkey
          </button>
        </p>
      </RequireStepUp>
      <div aria-live="polite">
        {error && (
          <p className="error" role="alert" data-testid="passkey-error">
            {error.message}
          </p>
        )}
        {passkeys?.length === 0 && <p data-testid="no-passkeys">You have no passkeys yet.</p>}
      </div>
      {passkeys && passkeys.length > 0 && (
        <ul className="plain" data-testid="passkey-list">
          {passkeys.map((passkey) => (
            <PasskeyItem
              key={passkey.id}
              passkey={passkey}
              busy={loading}
              rename={rename}
              remove={remove}
            />
          ))}
        </ul>
      )}
    </>
  );
}

/** `/passkeys`: the signed-in user's passkeys. */
export function PasskeysPage(): ReactElement {
  const { status } = useAuth();
  return (
    <>
      <h1>Passkeys</h1>
      {status === 'unauthenticated' && (
        <SignInPrompt to="manage your passkeys" returnTo="/passkeys" />
      )}
      {status === 'authenticated' && <PasskeyManager />}
    </>
  );
}
