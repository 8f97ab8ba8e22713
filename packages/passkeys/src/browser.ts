/**
 * `@latchkey/passkeys/browser`: the browser side of core's passkey routes, on
 * @simplewebauthn/browser. Browser-safe: no Node built-in, no server code; the imports of
 * `./credentials` and `@latchkey/core/contract` are types only and vanish at build.
 *
 * @module @latchkey/passkeys/browser
 */
import type { SessionJson } from '@latchkey/core/contract';
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import type { PasskeyJson } from './credentials';

export type { PasskeyJson } from './credentials';

/** Where the passkey routes are and how to reach them. */
export interface PasskeyClientOptions {
  /** The path core's routes are mounted under, as the server's `basePath`. Default `'/auth'`. */
  basePath?: string;
  /** The `fetch` to send requests with (tests, instrumentation). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** The codes this module gives itself; the server's codes pass through as they are. */
export const PasskeyErrorCodes = {
  /**
   * The user dismissed the browser's dialog, or the browser did not allow the request; also an
   * autofill sign-in that a later ceremony replaced.
   */
  cancelled: 'cancelled',
  /** The browser's dialog ran past the options' `timeout`. */
  timedOut: 'timed_out',
  /** The browser has no WebAuthn, or (for `autofill`) does not offer passkeys in autofill. */
  unsupported: 'unsupported',
  /** The authenticator already holds a passkey of this user, or the server knows it (`409`). */
  alreadyRegistered: 'already_registered',
  /**
   * The browser or authenticator failed otherwise (wrong RP ID, no supported algorithm, ...; see
   * `cause`), or an autofill sign-in found no `<input autocomplete="username webauthn">`.
   */
  ceremonyFailed: 'ceremony_failed',
  /** The request did not reach the server (offline, DNS, CORS, aborted). */
  network: 'network_error',
  /** The server answered an error status without latchkey's JSON error body. */
  httpError: 'http_error',
  /** The server answered success without this route's JSON: is latchkey mounted at `basePath`? */
  invalidResponse: 'invalid_response',
} as const;

/** The codes of core's passkey routes that reach the browser (see the package README's table). */
export type PasskeyServerErrorCode =
  | 'passkey_invalid'
  | 'passkey_challenge_expired'
  | 'passkey_challenge_replayed'
  | 'passkey_not_found'
  | 'passkey_not_allowed'
  | 'passkey_counter_regressed'
  | 'passkey_user_verification_required'
  | 'passkey_limit_reached'
  | 'unauthenticated'
  | 'origin_mismatch'
  | 'invalid_request';

/** One of {@link PasskeyErrorCodes}, a {@link PasskeyServerErrorCode}, or another server code. */
export type PasskeyErrorCode =
  | (typeof PasskeyErrorCodes)[keyof typeof PasskeyErrorCodes]
  | PasskeyServerErrorCode
  | (string & {});

/**
 * Why a passkey call did not succeed. Recognise it by `code` (the ESM and CJS builds hold
 * different classes, so `instanceof` can miss). Messages never hold an id, a token or an email.
 */
export class PasskeyError extends Error {
  // `declare`d fields are set in the constructor: no class-field helpers in the bundle.
  /** Always `'PasskeyError'`. */
  declare readonly name: 'PasskeyError';
  /** What went wrong: one of {@link PasskeyErrorCodes}, or the server's `error` code. */
  declare readonly code: PasskeyErrorCode;
  /** The HTTP status of the server's answer, when there was one. */
  declare readonly status: number | undefined;

  constructor(code: PasskeyErrorCode, message: string, status?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    Object.assign(this, { name: 'PasskeyError', code, status });
  }
}

/** Whether this browser has WebAuthn at all. */
export function isPasskeySupported(): boolean {
  return browserSupportsWebAuthn();
}

/** Whether this browser offers passkeys in an input's autofill (conditional UI); never rejects. */
export async function isPasskeyAutofillSupported(): Promise<boolean> {
  try {
    return await browserSupportsWebAuthnAutofill();
  } catch {
    return false;
  }
}

/**
 * Registers a new passkey for the signed-in user: asks the server for options, lets the browser
 * create the passkey, and has the server verify and store it.
 *
 * @returns the new passkey, as {@link listPasskeys} shows it.
 * @throws {@link PasskeyError}: `cancelled`, `timed_out`, `already_registered`, `unsupported`,
 * `ceremony_failed`, `network_error`, or the server's code (`unauthenticated` when signed out).
 */
export async function registerPasskey(options: PasskeyClientOptions = {}): Promise<PasskeyJson> {
  supported();
  pending = undefined;
  const optionsJSON = (await call(
    options,
    'POST',
    '/passkeys/register/options',
  )) as PublicKeyCredentialCreationOptionsJSON;
  const response = await ceremony(
    () => startRegistration({ optionsJSON }),
    optionsJSON.timeout,
    true,
  );
  return (await call(options, 'POST', '/passkeys/register/verify', response)) as PasskeyJson;
}

/**
 * Signs in with a passkey, from a button (the browser's dialog) or, with `autofill: true`, from
 * the browser's autofill of an input (conditional UI).
 *
 * For `autofill`, the page needs an `<input autocomplete="username webauthn">`; call it once the
 * page shows that input and leave the promise pending: it settles when the user picks a passkey
 * there. A later {@link registerPasskey}, {@link stepUpWithPasskey} or sign-in replaces it, and it
 * then rejects with `cancelled`, which callers ignore (start it again if the page still shows the
 * input).
 *
 * @returns the new session, as `GET {basePath}/session` answers it.
 * @throws {@link PasskeyError}: `cancelled`, `timed_out`, `unsupported`, `ceremony_failed`,
 * `network_error`, or the server's code (`passkey_invalid`, `passkey_not_found`, ...).
 */
export function signInWithPasskey(
  options: PasskeyClientOptions & {
    /** Offer passkeys in the autofill of the page's username webauthn input. Default `false`. */
    autofill?: boolean;
  } = {},
): Promise<SessionJson> {
  return authenticate(options, '', options.autofill === true);
}

/**
 * Confirms the signed-in user again with one of their passkeys (step-up), before a sensitive
 * action; the server raises the session's `acr`/`amr` and `authTime`.
 *
 * @returns the raised session, as `GET {basePath}/session` answers it.
 * @throws {@link PasskeyError}: as {@link signInWithPasskey}; `passkey_not_found` when the user
 * has no passkey, `unauthenticated` when signed out.
 */
export function stepUpWithPasskey(options: PasskeyClientOptions = {}): Promise<SessionJson> {
  return authenticate(options, '?purpose=step-up', false);
}

/** The signed-in user's passkeys, oldest first. @throws {@link PasskeyError} */
export async function listPasskeys(options: PasskeyClientOptions = {}): Promise<PasskeyJson[]> {
  return (await call(options, 'GET', '/passkeys')) as PasskeyJson[];
}

/** Renames a passkey of the signed-in user (1 to 64 characters). @throws {@link PasskeyError} */
export async function renamePasskey(
  id: string,
  name: string,
  options: PasskeyClientOptions = {},
): Promise<void> {
  await call(options, 'PATCH', `/passkeys/${encodeURIComponent(id)}`, { name }, false);
}

/** Removes a passkey of the signed-in user. @throws {@link PasskeyError} */
export async function removePasskey(id: string, options: PasskeyClientOptions = {}): Promise<void> {
  await call(options, 'DELETE', `/passkeys/${encodeURIComponent(id)}`, undefined, false);
}

/**
 * The latest autofill sign-in, until another ceremony starts. A button-started ceremony needs no
 * abort of its own for an autofill request already in the browser: startRegistration() and
 * startAuthentication() call WebAuthnAbortService.createNewAbortSignal(), which aborts the
 * previous request (rejecting ERROR_CEREMONY_ABORTED, so `cancelled`) before asking the browser.
 * This marker only stops an autofill sign-in still waiting for its options from doing the same to
 * the newer ceremony.
 */
let pending: object | undefined;

async function authenticate(
  options: PasskeyClientOptions,
  query: string,
  autofill: boolean,
): Promise<SessionJson> {
  const self = {};
  // Synchronously, before any await: this call is now the one that may reach the browser.
  pending = autofill ? self : undefined;
  supported();
  if (autofill) {
    if (!(await isPasskeyAutofillSupported())) {
      throw new PasskeyError('unsupported', 'This browser does not offer passkeys in autofill.');
    }
    if (!document.querySelector("input[autocomplete$='webauthn']")) {
      throw new PasskeyError(
        'ceremony_failed',
        'Passkey autofill needs an <input autocomplete="username webauthn"> on the page.',
      );
    }
  }
  const optionsJSON = (await call(
    options,
    'POST',
    `/passkeys/authenticate/options${query}`,
  )) as PublicKeyCredentialRequestOptionsJSON;
  // A ceremony started while this autofill waited for its options must not be aborted by it.
  if (autofill && pending !== self) throw cancelled();
  const response = await ceremony(
    () => startAuthentication({ optionsJSON, useBrowserAutofill: autofill }),
    autofill ? undefined : optionsJSON.timeout,
    false,
  );
  return (await call(
    options,
    'POST',
    `/passkeys/authenticate/verify${query}`,
    response,
  )) as SessionJson;
}

function supported(): void {
  if (!isPasskeySupported()) {
    throw new PasskeyError('unsupported', 'This browser does not support passkeys.');
  }
}

const cancelled = (cause?: unknown) =>
  new PasskeyError(
    'cancelled',
    'The passkey request was cancelled or not allowed.',
    undefined,
    cause,
  );

/** Runs a browser ceremony, turning its failure into a {@link PasskeyError}. */
async function ceremony<T>(
  run: () => Promise<T>,
  timeout: number | undefined,
  registering: boolean,
): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } catch (error) {
    // SimpleWebAuthn's WebAuthnError keeps the DOMException's name and adds a `code`.
    const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
    if (code === 'ERROR_CEREMONY_ABORTED' || name === 'AbortError') throw cancelled(error);
    // Browsers report a timeout as NotAllowedError too (WebAuthn L2 §5.1.3, §5.1.4.1): only the
    // elapsed time tells it from the user's cancel.
    if (name === 'NotAllowedError') {
      if (timeout !== undefined && Date.now() - started >= timeout) {
        throw new PasskeyError('timed_out', 'The passkey request timed out.', undefined, error);
      }
      throw cancelled(error);
    }
    if (
      registering &&
      (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError')
    ) {
      throw new PasskeyError(
        'already_registered',
        'This authenticator already holds a passkey for this account.',
        undefined,
        error,
      );
    }
    const reason = typeof code === 'string' ? code : String(name);
    throw new PasskeyError(
      'ceremony_failed',
      `The browser could not complete the passkey request (${reason}).`,
      undefined,
      error,
    );
  }
}

/**
 * Sends one request to core's routes; answers the JSON body (`json`) or nothing, or throws a
 * {@link PasskeyError} with the server's `error` code.
 */
async function call(
  options: PasskeyClientOptions,
  method: string,
  path: string,
  body?: unknown,
  json = true,
): Promise<unknown> {
  // A local, not `options.fetch(...)`: window.fetch called as a method of another object throws.
  const send = options.fetch ?? globalThis.fetch;
  const base = (options.basePath ?? '/auth').replace(/\/+$/, '');
  let response: Response;
  try {
    response = await send(base + path, {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (cause) {
    throw new PasskeyError(
      'network_error',
      'The passkey request did not reach the server.',
      undefined,
      cause,
    );
  }
  const { status } = response;
  const answer: unknown =
    json || !response.ok ? await response.json().catch(() => undefined) : undefined;
  if (!response.ok) {
    const { error, message } = (answer ?? {}) as { error?: unknown; message?: unknown };
    if (typeof error !== 'string') {
      throw new PasskeyError('http_error', `The server answered HTTP ${status}.`, status);
    }
    throw new PasskeyError(
      error === 'passkey_already_registered' ? 'already_registered' : error,
      typeof message === 'string' ? message : `The server refused the passkey request (${error}).`,
      status,
    );
  }
  if (json && (typeof answer !== 'object' || answer === null)) {
    throw new PasskeyError(
      'invalid_response',
      `The server answered no JSON: is latchkey mounted at '${base}'?`,
      status,
    );
  }
  return answer;
}
