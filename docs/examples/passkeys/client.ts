// The browser side of passkeys, in an app's own scripts (bundled by Vite, webpack, ...).
import {
  isPasskeySupported,
  type PasskeyError,
  registerPasskey,
  signInWithPasskey,
  stepUpWithPasskey,
} from '@latchkey/passkeys/browser';

// #region sign-in
/** Signs in with a passkey from a button; resolves the new session, or null when cancelled. */
export async function signIn() {
  try {
    return await signInWithPasskey();
  } catch (error) {
    // Recognise a PasskeyError by its code: `instanceof` can miss across copies of the package.
    if ((error as PasskeyError | null)?.code === 'cancelled') return null;
    throw error;
  }
}

// Offer passkeys in the autofill of <input autocomplete="username webauthn"> as the page loads.
export const autofill = () => signInWithPasskey({ autofill: true });
// #endregion sign-in

// #region manage
/** Adds a passkey for the signed-in user, after a recent step-up (else `insufficient_user_authentication`). */
export async function addPasskey() {
  if (!isPasskeySupported()) return undefined;
  return registerPasskey();
}
// #endregion manage

// #region step-up
/** Confirms the signed-in user before a sensitive action; resolves the raised session. */
export const confirmWithPasskey = () => stepUpWithPasskey();
// #endregion step-up
