/**
 * `@latchkey/react/passkeys`: passkey hooks and components over `@latchkey/passkeys/browser`. A
 * subpath of its own, so that apps without passkeys load no WebAuthn code. It shares the
 * provider's context with the main entry (`./context`, one file in the build: tsup.config.ts).
 *
 * @module @latchkey/react/passkeys
 */
import type { SessionJson } from '@latchkey/core/contract';
import {
  isPasskeySupported,
  listPasskeys,
  type PasskeyError,
  type PasskeyJson,
  registerPasskey,
  removePasskey,
  renamePasskey,
  signInWithPasskey,
  stepUpWithPasskey,
} from '@latchkey/passkeys/browser';
import {
  type ReactElement,
  type ReactNode,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import { useAuthContext } from './context';
import type { StepUpOptions } from './store';

// What callers of these hooks name: the error (switch on `code`), the list's items, and the
// autofill check that a sign-in page runs before `signIn({ autofill: true })`.
export {
  isPasskeyAutofillSupported,
  PasskeyError,
  type PasskeyErrorCode,
  PasskeyErrorCodes,
  type PasskeyJson,
} from '@latchkey/passkeys/browser';

const never = () => () => {};
const no = () => false;

/**
 * Whether this browser has WebAuthn: `false` on the server and while hydrating, so that the
 * server's HTML matches the first render in the browser.
 */
function useSupported(): boolean {
  return useSyncExternalStore(never, isPasskeySupported, no);
}

/** The user closed the browser's dialog (or a later ceremony replaced this one): not a failure. */
const isCancelled = (error: unknown) => (error as PasskeyError | null)?.code === 'cancelled';

/** What {@link usePasskeys} returns. The functions are stable while the user stays the same. */
export interface Passkeys {
  /** The signed-in user's passkeys, oldest first; `null` until loaded and when signed out. */
  passkeys: PasskeyJson[] | null;
  /** True while the list loads or a change runs (also before the first list of a signed-in user). */
  loading: boolean;
  /**
   * Why the latest list, registration, rename or removal failed; `null` after a success and when
   * the user cancelled the browser's dialog. Cleared when the next one starts.
   */
  error: PasskeyError | null;
  /** Whether this browser has WebAuthn (`false` on the server and while hydrating). */
  supported: boolean;
  /**
   * Creates a passkey for the signed-in user (the browser's dialog), then reloads the list.
   * Resolves the new passkey, or `undefined` when the user cancelled or it failed (see `error`);
   * never rejects.
   */
  register(): Promise<PasskeyJson | undefined>;
  /** Renames a passkey, then reloads the list. Resolves `true` when done; never rejects. */
  rename(id: string, name: string): Promise<boolean>;
  /** Removes a passkey, then reloads the list. Resolves `true` when done; never rejects. */
  remove(id: string): Promise<boolean>;
  /** Loads the list again (nothing when signed out); never rejects. */
  reload(): Promise<void>;
}

/**
 * The signed-in user's passkeys and the changes to them, for an account page. Loads the list when
 * a user is signed in (again when another user signs in) and after every change. Uses the
 * provider's `basePath`.
 *
 * @example
 * const { passkeys, supported, register, remove, error } = usePasskeys();
 */
export function usePasskeys(): Passkeys {
  const { store, state } = useAuthContext();
  const sub = state.session?.user.sub;
  const supported = useSupported();
  // The list with the user it belongs to: another user's list is never shown.
  const [list, setList] = useState<{ sub: string; passkeys: PasskeyJson[] } | null>(null);
  const [running, setRunning] = useState(0);
  const [error, setError] = useState<PasskeyError | null>(null);
  /** Bumped by every list request: only the latest one's answer is kept. */
  const latest = useRef(0);

  const actions = useMemo(() => {
    const options = { basePath: store.basePath };
    /** Runs one call with `loading` and `error`; `undefined` when it failed or was cancelled. */
    const run = async <T,>(call: () => Promise<T>): Promise<T | undefined> => {
      setRunning((count) => count + 1);
      setError(null);
      try {
        return await call();
      } catch (failure) {
        if (!isCancelled(failure)) setError(failure as PasskeyError);
        return undefined;
      } finally {
        setRunning((count) => count - 1);
      }
    };
    const reload = async (): Promise<void> => {
      if (sub === undefined) return;
      const request = ++latest.current;
      const passkeys = await run(() => listPasskeys(options));
      if (passkeys && request === latest.current) setList({ sub, passkeys });
    };
    /** Runs a change, then reloads the list when it succeeded. */
    const change = async <T,>(call: () => Promise<T>): Promise<T | undefined> => {
      const result = await run(call);
      if (result !== undefined) await reload();
      return result;
    };
    return {
      reload,
      register: () => change(() => registerPasskey(options)),
      rename: async (id: string, name: string) =>
        (await change(() => renamePasskey(id, name, options).then(() => true))) === true,
      remove: async (id: string) =>
        (await change(() => removePasskey(id, options).then(() => true))) === true,
    };
  }, [store, sub]);

  useEffect(() => {
    void actions.reload();
  }, [actions]);

  const passkeys = sub !== undefined && list?.sub === sub ? list.passkeys : null;
  return {
    passkeys,
    loading: running > 0 || (sub !== undefined && passkeys === null && error === null),
    error,
    supported,
    ...actions,
  };
}

/** What {@link usePasskeySignIn} and {@link usePasskeyStepUp} have in common. */
interface PasskeyCeremony {
  /**
   * True while a ceremony started from a button (the browser's dialog, then the server's check)
   * runs. An autofill sign-in waiting for the user to pick a passkey does not count.
   */
  pending: boolean;
  /** Why the latest attempt failed; `null` after a success and when the user cancelled. */
  error: PasskeyError | null;
}

/** Runs passkey ceremonies that answer a session, and hands the session to the provider. */
function useCeremony(
  start: (basePath: string, autofill: boolean) => Promise<SessionJson>,
): PasskeyCeremony & { run(autofill: boolean): Promise<boolean> } {
  const { store } = useAuthContext();
  const [running, setRunning] = useState(0);
  const [error, setError] = useState<PasskeyError | null>(null);
  const run = useCallback(
    async (autofill: boolean): Promise<boolean> => {
      // An autofill request may wait for minutes: it neither shows as pending nor clears an error
      // that a button's attempt just showed.
      if (!autofill) {
        setRunning((count) => count + 1);
        setError(null);
      }
      try {
        const session = await start(store.basePath, autofill);
        // This tab and the others show the new session, as after a session check.
        await store.accept(session);
        setError(null);
        return true;
      } catch (failure) {
        if (!isCancelled(failure)) setError(failure as PasskeyError);
        return false;
      } finally {
        if (!autofill) setRunning((count) => count - 1);
      }
    },
    [store, start],
  );
  return { pending: running > 0, error, run };
}

const signInCeremony = (basePath: string, autofill: boolean) =>
  signInWithPasskey({ basePath, autofill });
const stepUpCeremony = (basePath: string) => stepUpWithPasskey({ basePath });

/** What {@link usePasskeySignIn} returns. */
export interface PasskeySignIn extends PasskeyCeremony {
  /**
   * Signs in with a passkey; every tab then shows the session. With `autofill: true` it offers
   * passkeys in the autofill of the page's `<input autocomplete="username webauthn">` and settles
   * when the user picks one; a later button sign-in or other ceremony replaces it (it then
   * resolves `false` without an error). Resolves `true` when signed in, `false` when cancelled or
   * failed (see `error`); never rejects.
   */
  signIn(options?: { autofill?: boolean }): Promise<boolean>;
}

/**
 * Passkey sign-in for a sign-in page. Uses the provider's `basePath`.
 *
 * @example
 * const { signIn, pending, error } = usePasskeySignIn();
 * <button disabled={pending} onClick={() => signIn()}>Sign in with a passkey</button>
 */
export function usePasskeySignIn(): PasskeySignIn {
  const { pending, error, run } = useCeremony(signInCeremony);
  const signIn = useCallback((options?: { autofill?: boolean }) => run(!!options?.autofill), [run]);
  return { pending, error, signIn };
}

/** What {@link usePasskeyStepUp} returns. */
export interface PasskeyStepUp extends PasskeyCeremony {
  /**
   * Confirms the signed-in user with one of their passkeys; every tab then shows the raised
   * session (the server decides its `acr`). Resolves `true` when done, `false` when cancelled or
   * failed (see `error`); never rejects.
   */
  stepUp(): Promise<boolean>;
}

/**
 * Passkey step-up: a second factor without leaving the page, so the page can retry its action.
 * Uses the provider's `basePath`.
 *
 * @example
 * const { stepUp, pending, error } = usePasskeyStepUp();
 * if (await stepUp()) await pay();
 */
export function usePasskeyStepUp(): PasskeyStepUp {
  const { pending, error, run } = useCeremony(stepUpCeremony);
  const stepUp = useCallback(() => run(false), [run]);
  return { pending, error, stepUp };
}

/** Props of {@link StepUpChoice}. */
export interface StepUpChoiceProps extends StepUpOptions {
  /** Called after a successful passkey step-up, e.g. to retry the action that needed it. */
  onStepUp?: () => void;
}

/**
 * Offers both ways to step up: "Use the one-time code" goes to the server's step-up route (the
 * IdP, asking for `acr` and `maxAge`, back to `returnTo`), and "Use a passkey" (only where the
 * browser has WebAuthn) steps up on this page, then calls `onStepUp`. A failed passkey step-up
 * shows its message in a `role="alert"` paragraph. Fits `<RequireStepUp fallback>`.
 *
 * @example
 * <RequireStepUp acr={MFA} maxAge={300} fallback={<StepUpChoice acr={MFA} maxAge={300} />}>
 *   <TransferForm />
 * </RequireStepUp>
 */
export function StepUpChoice({ onStepUp, ...options }: StepUpChoiceProps): ReactElement {
  const { store } = useAuthContext();
  const { stepUp, pending, error } = usePasskeyStepUp();
  const supported = useSupported();
  return (
    <>
      <button type="button" onClick={() => store.stepUp(options)}>
        Use the one-time code
      </button>
      {supported && (
        <button
          type="button"
          disabled={pending}
          onClick={async () => {
            if ((await stepUp()) && onStepUp) onStepUp();
          }}
        >
          Use a passkey
        </button>
      )}
      {error && <p role="alert">{error.message}</p>}
    </>
  );
}

/** Props of {@link PasskeySignInButton}. */
export interface PasskeySignInButtonProps {
  /** The button's label. Default "Sign in with a passkey". */
  children?: ReactNode;
  /** Called after a successful sign-in (the provider already shows the session). */
  onSignIn?: () => void;
}

/**
 * A button that signs in with a passkey, where the browser has WebAuthn (else nothing); disabled
 * while it runs. A failure shows its message in a `role="alert"` paragraph.
 */
export function PasskeySignInButton({
  children = 'Sign in with a passkey',
  onSignIn,
}: PasskeySignInButtonProps): ReactElement | null {
  const { signIn, pending, error } = usePasskeySignIn();
  const supported = useSupported();
  if (!supported) return null;
  return (
    <>
      <button
        type="button"
        disabled={pending}
        onClick={async () => {
          if ((await signIn()) && onSignIn) onSignIn();
        }}
      >
        {children}
      </button>
      {error && <p role="alert">{error.message}</p>}
    </>
  );
}
