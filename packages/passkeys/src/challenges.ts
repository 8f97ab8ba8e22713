import { createHash } from 'node:crypto';
import { ErrorCodes, LatchkeyError } from '@latchkey/core';

import { signedChallengeOf } from './responses';

/** How long the challenge of a ceremony can be answered: 5 minutes. */
export const CHALLENGE_LIFETIME_MS = 5 * 60 * 1000;

/**
 * How long a store keeps a challenge: longer than it is valid, so that a replay or a late answer
 * gets a precise error (`passkey_challenge_replayed`, `passkey_challenge_expired`) rather than
 * "unknown".
 */
export const CHALLENGE_RETENTION_MS = 2 * CHALLENGE_LIFETIME_MS;

/** What a pending challenge was issued for, kept server-side until its ceremony is verified. */
export type ChallengeRecord =
  | {
      /** Registering a new passkey for a signed-in user. */
      ceremony: 'registration';
      /** The signed-in user who asked to register a passkey. */
      sub: string;
      /** The user handle given to the authenticator (base64url). */
      userHandle: string;
      /** When the challenge stops being valid, in epoch milliseconds. */
      expiresAt: number;
    }
  | {
      /** Signing in with a discoverable passkey: the user is not known yet. */
      ceremony: 'sign-in';
      /** When the challenge stops being valid, in epoch milliseconds. */
      expiresAt: number;
    }
  | {
      /** Stepping up a signed-in user with one of their passkeys. */
      ceremony: 'step-up';
      /** The signed-in user who must prove it is them. */
      sub: string;
      /** The credential ids offered in `allowCredentials`: the user's passkeys at the time. */
      allowCredentials: string[];
      /** When the challenge stops being valid, in epoch milliseconds. */
      expiresAt: number;
    };

/**
 * Where pending challenges wait for their ceremony's answer. Records are plain JSON. Keys are
 * opaque, derived from the challenge and the browser, and never reused.
 */
export interface ChallengeStore {
  /** Keeps `record` under `key` for `ttlMs` milliseconds. */
  put(key: string, record: ChallengeRecord, ttlMs: number): Promise<void>;
  /**
   * Uses up the challenge under `key`, atomically (across instances when the store is shared): the
   * first call resolves its record; every later call resolves `'consumed'` while the entry lives;
   * an unknown key, or one whose `ttlMs` has passed, resolves `undefined`.
   */
  consume(key: string): Promise<ChallengeRecord | 'consumed' | undefined>;
}

/** Options of {@link MemoryChallengeStore}. */
export interface MemoryChallengeStoreOptions {
  /** Most challenges kept; beyond it the oldest are forgotten. Default 100000. */
  maxEntries?: number;
  /** Current time in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * Challenges in this process's memory: bounded and expiring, for a single instance. A burst of
 * ceremonies beyond `maxEntries` pushes the oldest pending ones out (they then fail as unknown).
 */
export class MemoryChallengeStore implements ChallengeStore {
  private readonly entries = new Map<
    string,
    { record: ChallengeRecord | 'consumed'; until: number }
  >();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryChallengeStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  async put(key: string, record: ChallengeRecord, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { record: structuredClone(record), until: this.now() + ttlMs });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  async consume(key: string): Promise<ChallengeRecord | 'consumed' | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    const { record } = entry;
    entry.record = 'consumed';
    return record;
  }
}

/** What the challenge functions need: the store and the clock. */
export interface ChallengeContext {
  readonly challenges: ChallengeStore;
  readonly now: () => number;
}

type WithoutExpiry<R> = R extends unknown ? Omit<R, 'expiresAt'> : never;

/** A record as it is issued: everything but its expiry, which is set here. */
export type ChallengeIntent = WithoutExpiry<ChallengeRecord>;

/**
 * A browser binding is the random value the caller keeps in an HttpOnly cookie of that browser
 * (at least 128 bits). Too short a value would bind to nothing.
 */
const isBrowserBinding = (browser: unknown): browser is string =>
  typeof browser === 'string' && browser.length >= 16 && browser.length <= 512;

/**
 * The store key of a challenge answered in one browser: a hash of both, so that the store holds
 * neither the cookie's value nor a key another browser could compute without it.
 */
const challengeKey = (browser: string, challenge: string) =>
  createHash('sha256').update(`${challenge}.${browser}`).digest('base64url');

/** Remembers a freshly issued `challenge` for `browser`, valid for {@link CHALLENGE_LIFETIME_MS}. */
export async function saveChallenge(
  context: ChallengeContext,
  browser: string,
  challenge: string,
  intent: ChallengeIntent,
): Promise<void> {
  if (!isBrowserBinding(browser)) {
    throw new TypeError(
      'passkeys: `browser` must be the random id (16 to 512 characters) kept in an HttpOnly cookie of the browser.',
    );
  }
  const record = { ...intent, expiresAt: context.now() + CHALLENGE_LIFETIME_MS } as ChallengeRecord;
  await context.challenges.put(challengeKey(browser, challenge), record, CHALLENGE_RETENTION_MS);
}

/**
 * Uses up the `challenge` a ceremony's answer carries, once: replayed, expired, unknown or issued
 * to another browser, it throws a `LatchkeyError`. A challenge is spent by its first answer,
 * whether that answer then verifies or not.
 */
export async function takeChallenge(
  context: ChallengeContext,
  browser: string | undefined,
  challenge: string,
): Promise<ChallengeRecord> {
  const unknown = () =>
    new LatchkeyError(
      ErrorCodes.passkeyInvalid,
      'No pending passkey challenge matches this response in this browser: start the ceremony again (from this browser, with cookies enabled).',
    );
  if (!isBrowserBinding(browser)) throw unknown();
  const record = await context.challenges.consume(challengeKey(browser, challenge));
  if (record === undefined) throw unknown();
  if (record === 'consumed') {
    throw new LatchkeyError(
      ErrorCodes.passkeyChallengeReplayed,
      'This passkey challenge was already used: start the ceremony again.',
    );
  }
  if (record.expiresAt <= context.now()) {
    throw new LatchkeyError(
      ErrorCodes.passkeyChallengeExpired,
      'The passkey challenge expired (challenges are valid for 5 minutes): start the ceremony again.',
    );
  }
  return record;
}

/**
 * Uses up the challenge a ceremony's response signed (read from its `clientDataJSON`), as
 * {@link takeChallenge} does, and checks it was issued for this `ceremony`: a sign-in challenge
 * cannot finish a step-up or a registration, nor the other way round.
 */
export async function takeSignedChallenge<C extends ChallengeRecord['ceremony']>(
  context: ChallengeContext,
  browser: string | undefined,
  clientDataJSON: string,
  ceremony: C,
): Promise<{ challenge: string; pending: Extract<ChallengeRecord, { ceremony: C }> }> {
  const challenge = signedChallengeOf(clientDataJSON);
  const pending = await takeChallenge(context, browser, challenge);
  if (pending.ceremony !== ceremony) {
    throw new LatchkeyError(
      ErrorCodes.passkeyInvalid,
      `This challenge was issued for a ${pending.ceremony}, not for a ${ceremony}.`,
    );
  }
  return { challenge, pending: pending as Extract<ChallengeRecord, { ceremony: C }> };
}
