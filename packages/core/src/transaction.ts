import { createHash, randomBytes } from 'node:crypto';
import type { DpopKey } from './dpop';
import type { StepUpRequirement } from './step-up';

/** What a step-up must meet, and whose session it upgrades (undefined: none, a plain sign-in). */
export interface StepUpTransaction extends StepUpRequirement {
  sub: string | undefined;
}

/** Sealed transaction of one sign-in, kept in one of {@link TRANSACTION_SLOTS} cookies. */
export interface Transaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  maxAge?: number | undefined;
  /** Set for a step-up: what the new authentication must meet, and whose session it upgrades. */
  stepUp?: StepUpTransaction | undefined;
  /** The sign-in's own DPoP key, which the code and the tokens are bound to (`dpop: true`). */
  dpopKey?: DpopKey | undefined;
  /** The provider signed in with, by name, when the app has `providers`. */
  provider?: string | undefined;
}

/** Seconds a sign-in may take, from the login route to the callback. */
export const TRANSACTION_TTL = 600;

/**
 * Transaction cookies a browser can hold at once. A sign-in's cookie is picked by its `state`
 * (`sha256(state) mod 5`), so concurrent starts overwrite one another instead of adding cookies
 * until every request of the browser is too large to serve.
 */
export const TRANSACTION_SLOTS = 5;

/** The slot a sign-in's transaction is kept in, from its `state`. */
export function transactionSlot(state: string): number {
  return createHash('sha256').update(state).digest()[0]! % TRANSACTION_SLOTS;
}

/** What the authorization request's `state` may look like; anything else is never looked up. */
export const STATE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** Tries before a new sign-in takes a busy slot (then the oldest pending sign-in there is lost). */
const SLOT_TRIES = 64;

/**
 * A new random `state` (256 bits) whose slot is free in this browser when one is, so sign-ins
 * started one after another in several tabs each keep their own transaction.
 */
export function newState(isFree: (slot: number) => boolean): string {
  let state = randomBytes(32).toString('base64url');
  for (let i = 1; i < SLOT_TRIES && !isFree(transactionSlot(state)); i++) {
    state = randomBytes(32).toString('base64url');
  }
  return state;
}
