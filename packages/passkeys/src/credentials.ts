import { ErrorCodes, LatchkeyError } from '@latchkey/core';
import type { CredentialStore, PasskeyCredential } from './credential-store';

/** Longest passkey name, in characters. */
export const MAX_PASSKEY_NAME_LENGTH = 64;

/**
 * A passkey as its owner may see it (the `GET /auth/passkeys` list): never the public key, the
 * counter or the user handle. Times in epoch seconds, like core's session JSON.
 */
export interface PasskeyJson {
  /** The credential id (base64url): what rename and remove take. */
  id: string;
  /** The user-given name, or the readable default. */
  name: string;
  /** When it was registered, in epoch seconds. */
  createdAt: number;
  /** When it last signed in or stepped up, in epoch seconds; null before its first use. */
  lastUsedAt: number | null;
  /** Whether it is synced (backed up) at its last use. */
  backedUp: boolean;
  /** `'multiDevice'` (can be synced) or `'singleDevice'`. */
  deviceType: 'singleDevice' | 'multiDevice';
  /** How the browser reaches its authenticator. */
  transports: string[];
}

/** The public view of a stored passkey. */
export function passkeyJson(credential: PasskeyCredential): PasskeyJson {
  const seconds = (ms: number) => Math.floor(ms / 1000);
  return {
    id: credential.id,
    name: credential.name,
    createdAt: seconds(credential.createdAt),
    lastUsedAt: credential.lastUsedAt === null ? null : seconds(credential.lastUsedAt),
    backedUp: credential.backedUp,
    deviceType: credential.deviceType,
    transports: [...credential.transports],
  };
}

/** The name a passkey gets when its user gives none: its kind and the day, e.g. `Synced passkey, 2025-06-01`. */
export function defaultPasskeyName(
  deviceType: PasskeyCredential['deviceType'],
  createdAt: number,
): string {
  const kind = deviceType === 'multiDevice' ? 'Synced passkey' : 'Device-bound passkey';
  return `${kind}, ${new Date(createdAt).toISOString().slice(0, 10)}`;
}

/**
 * A user-given name, trimmed: 1 to 64 characters (code points) without control characters, else
 * `invalid_request`.
 */
export function passkeyName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  const length = [...trimmed].length;
  if (length === 0 || length > MAX_PASSKEY_NAME_LENGTH || /\p{Cc}/u.test(trimmed)) {
    throw new LatchkeyError(
      ErrorCodes.invalidRequest,
      `A passkey name must be 1 to ${MAX_PASSKEY_NAME_LENGTH} characters, without control characters.`,
    );
  }
  return trimmed;
}

const notFound = () =>
  new LatchkeyError(ErrorCodes.passkeyNotFound, 'You have no passkey with this id.');

/** The passkeys of `sub`, oldest first, as their owner may see them. */
export async function listPasskeys(store: CredentialStore, sub: string): Promise<PasskeyJson[]> {
  return (await store.listByUser(sub)).map(passkeyJson);
}

/** Renames a passkey of `sub`; another user's passkey is `passkey_not_found`, as a missing one. */
export async function renamePasskey(
  store: CredentialStore,
  sub: string,
  id: string,
  name: unknown,
): Promise<void> {
  if (!(await store.rename(id, sub, passkeyName(name)))) throw notFound();
}

/** Removes a passkey of `sub`; another user's passkey is `passkey_not_found`, as a missing one. */
export async function removePasskey(
  store: CredentialStore,
  sub: string,
  id: string,
): Promise<void> {
  if (!(await store.delete(id, sub))) throw notFound();
}
