// @vitest-environment jsdom
// The server is a fake `fetch` passed in through the documented `fetch` option. jsdom has no
// WebAuthn: `PublicKeyCredential` is stubbed as a class and `navigator.credentials.create/get`
// with functions that resolve a credential or reject as a browser does. These stubs are the only
// way to produce a browser's refusal here; real Chromium runs the ceremonies in the e2e suite.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  isPasskeyAutofillSupported,
  isPasskeySupported,
  listPasskeys,
  PasskeyError,
  PasskeyErrorCodes,
  registerPasskey,
  removePasskey,
  renamePasskey,
  signInWithPasskey,
  stepUpWithPasskey,
} from './browser';

const PASSKEY = {
  id: 'Y3JlZC0x',
  name: 'Synced passkey, 2030-01-01',
  createdAt: 1_893_456_000,
  lastUsedAt: null,
  backedUp: true,
  deviceType: 'multiDevice',
  transports: ['internal'],
};
const SESSION = {
  authenticated: true,
  user: { sub: 'user-1' },
  roles: [],
  permissions: [],
  acr: null,
  amr: ['swk', 'user'],
  authTime: 1_893_456_000,
  expiresAt: 1_893_459_600,
};
const CREATION_OPTIONS = {
  challenge: 'Y2hhbGxlbmdl',
  rp: { name: 'localhost', id: 'localhost' },
  user: { id: 'dXNlci1oYW5kbGU', name: 'ada@example.com', displayName: 'Ada' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  timeout: 60_000,
  excludeCredentials: [],
  authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  attestation: 'none',
};
const REQUEST_OPTIONS = {
  challenge: 'Y2hhbGxlbmdl',
  rpId: 'localhost',
  timeout: 60_000,
  allowCredentials: [],
  userVerification: 'required',
};

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

interface Sent {
  method: string;
  url: string;
  credentials: RequestCredentials | undefined;
  headers: Record<string, string>;
  body: unknown;
}

/** A fake server: answers `'METHOD /path'` from `routes`, records every request. */
function fakeServer(routes: Record<string, () => Response | Promise<Response>>) {
  const sent: Sent[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const url = String(input);
    sent.push({
      method,
      url,
      credentials: init.credentials,
      headers: init.headers as Record<string, string>,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
    });
    const route = routes[`${method} ${url}`];
    return route ? route() : json(404, { error: 'not_found', message: 'No such route.' });
  });
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

/** The routes of a successful registration, sign-in and step-up under `/auth`. */
const ceremonyRoutes = () => ({
  'POST /auth/passkeys/register/options': () => json(200, CREATION_OPTIONS),
  'POST /auth/passkeys/register/verify': () => json(201, PASSKEY),
  'POST /auth/passkeys/authenticate/options': () => json(200, REQUEST_OPTIONS),
  'POST /auth/passkeys/authenticate/verify': () => json(200, SESSION),
});

const bytes = (text: string) => new TextEncoder().encode(text).buffer;

/** What `navigator.credentials.create()` resolves in a browser, reduced to what is read. */
const attestation = () => ({
  id: 'Y3JlZC0x',
  rawId: bytes('cred-1'),
  type: 'public-key',
  authenticatorAttachment: 'platform',
  response: {
    attestationObject: bytes('attestation'),
    clientDataJSON: bytes('client-data'),
    getTransports: () => ['internal'],
  },
  getClientExtensionResults: () => ({}),
});

/** What `navigator.credentials.get()` resolves in a browser, reduced to what is read. */
const assertion = () => ({
  id: 'Y3JlZC0x',
  rawId: bytes('cred-1'),
  type: 'public-key',
  authenticatorAttachment: 'platform',
  response: {
    authenticatorData: bytes('authenticator-data'),
    clientDataJSON: bytes('client-data'),
    signature: bytes('signature'),
    userHandle: bytes('user-handle'),
  },
  getClientExtensionResults: () => ({}),
});

const create = vi.fn<(options: CredentialCreationOptions) => Promise<unknown>>();
const get =
  vi.fn<(options: CredentialRequestOptions & { mediation?: string }) => Promise<unknown>>();
let conditionalMediation = true;

/** A browser with WebAuthn (and conditional mediation while `conditionalMediation`). */
function stubWebAuthn() {
  // SimpleWebAuthn asks only that `PublicKeyCredential` be a function.
  vi.stubGlobal(
    'PublicKeyCredential',
    Object.assign(function PublicKeyCredential() {}, {
      isConditionalMediationAvailable: async () => conditionalMediation,
    }),
  );
  Object.defineProperty(navigator, 'credentials', {
    configurable: true,
    value: { create, get },
  });
}

/** An `<input autocomplete="username webauthn">`, which autofill sign-in needs. */
function addUsernameInput() {
  const input = document.createElement('input');
  input.setAttribute('autocomplete', 'username webauthn');
  document.body.append(input);
}

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<PasskeyError> {
  const error = await promise.then(
    () => expect.unreachable('resolved'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(PasskeyError);
  return error as PasskeyError;
}

const refusal = (name: string) =>
  new DOMException('The operation either timed out or was not allowed.', name);

beforeEach(() => {
  conditionalMediation = true;
  create.mockReset().mockImplementation(async () => attestation());
  get.mockReset().mockImplementation(async () => assertion());
  stubWebAuthn();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  Reflect.deleteProperty(navigator, 'credentials');
  document.body.replaceChildren();
});

describe('registerPasskey', () => {
  test('asks for options, creates the passkey with them and sends the result to verify', async () => {
    const { fetch, sent } = fakeServer(ceremonyRoutes());
    await expect(registerPasskey({ fetch })).resolves.toEqual(PASSKEY);

    expect(sent.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'POST /auth/passkeys/register/options',
      'POST /auth/passkeys/register/verify',
    ]);
    expect(sent[0]).toMatchObject({
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      body: null,
    });
    expect(sent[1]).toMatchObject({
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: {
        id: 'Y3JlZC0x',
        type: 'public-key',
        response: { clientDataJSON: 'Y2xpZW50LWRhdGE', transports: ['internal'] },
      },
    });
    const publicKey = create.mock.calls[0]?.[0].publicKey;
    expect(new TextDecoder().decode(publicKey?.challenge as ArrayBuffer)).toBe('challenge');
  });

  test('is cancelled when the user dismisses the dialog (NotAllowedError); nothing is verified', async () => {
    const { fetch, sent } = fakeServer(ceremonyRoutes());
    create.mockRejectedValue(refusal('NotAllowedError'));
    const error = await failure(registerPasskey({ fetch }));
    expect(error).toMatchObject({ code: PasskeyErrorCodes.cancelled, status: undefined });
    expect(sent).toHaveLength(1);
  });

  test("times out when the dialog's NotAllowedError comes after the options' timeout", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { fetch } = fakeServer(ceremonyRoutes());
    create.mockImplementation(async () => {
      vi.setSystemTime(Date.now() + CREATION_OPTIONS.timeout);
      throw refusal('NotAllowedError');
    });
    const error = await failure(registerPasskey({ fetch }));
    expect(error.code).toBe(PasskeyErrorCodes.timedOut);
  });

  test('is already_registered when the authenticator holds a passkey of the user (InvalidStateError)', async () => {
    const { fetch, sent } = fakeServer(ceremonyRoutes());
    create.mockRejectedValue(refusal('InvalidStateError'));
    const error = await failure(registerPasskey({ fetch }));
    expect(error.code).toBe(PasskeyErrorCodes.alreadyRegistered);
    expect(sent).toHaveLength(1);
  });

  test('is already_registered when the server knows the passkey (409 passkey_already_registered)', async () => {
    const { fetch } = fakeServer({
      ...ceremonyRoutes(),
      'POST /auth/passkeys/register/verify': () =>
        json(409, {
          error: 'passkey_already_registered',
          message: 'This passkey is already registered.',
        }),
    });
    const error = await failure(registerPasskey({ fetch }));
    expect(error).toMatchObject({
      code: 'already_registered',
      status: 409,
      message: 'This passkey is already registered.',
    });
  });

  test("is ceremony_failed, with SimpleWebAuthn's code, for another refusal of the browser", async () => {
    const { fetch } = fakeServer({
      ...ceremonyRoutes(),
      'POST /auth/passkeys/register/options': () =>
        json(200, { ...CREATION_OPTIONS, rp: { name: 'x', id: 'example.com' } }),
    });
    create.mockRejectedValue(refusal('SecurityError'));
    const error = await failure(registerPasskey({ fetch }));
    expect(error.code).toBe(PasskeyErrorCodes.ceremonyFailed);
    expect(error.message).toContain('ERROR_INVALID_RP_ID');
    expect(error.cause).toMatchObject({ name: 'SecurityError' });
  });

  test('is unsupported, before any request, in a browser without WebAuthn', async () => {
    vi.unstubAllGlobals(); // jsdom has no PublicKeyCredential
    const { fetch } = fakeServer(ceremonyRoutes());
    expect(isPasskeySupported()).toBe(false);
    for (const call of [
      registerPasskey({ fetch }),
      signInWithPasskey({ fetch }),
      signInWithPasskey({ fetch, autofill: true }),
      stepUpWithPasskey({ fetch }),
    ]) {
      expect((await failure(call)).code).toBe(PasskeyErrorCodes.unsupported);
    }
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('signInWithPasskey', () => {
  test('asks for options, gets an assertion and answers the new session from verify', async () => {
    const { fetch, sent } = fakeServer(ceremonyRoutes());
    await expect(signInWithPasskey({ fetch })).resolves.toEqual(SESSION);

    expect(sent.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'POST /auth/passkeys/authenticate/options',
      'POST /auth/passkeys/authenticate/verify',
    ]);
    expect(sent[1]?.body).toMatchObject({
      id: 'Y3JlZC0x',
      response: { signature: 'c2lnbmF0dXJl', userHandle: 'dXNlci1oYW5kbGU' },
    });
    expect(get.mock.calls[0]?.[0].mediation).toBeUndefined();
  });

  test('is cancelled when the user dismisses the dialog before the timeout', async () => {
    const { fetch, sent } = fakeServer(ceremonyRoutes());
    get.mockRejectedValue(refusal('NotAllowedError'));
    expect((await failure(signInWithPasskey({ fetch }))).code).toBe(PasskeyErrorCodes.cancelled);
    expect(sent).toHaveLength(1);
  });

  test('passes on the code, message and status of a server error', async () => {
    const { fetch } = fakeServer({
      ...ceremonyRoutes(),
      'POST /auth/passkeys/authenticate/verify': () =>
        json(400, {
          error: 'passkey_challenge_expired',
          message: 'The passkey challenge expired.',
        }),
    });
    const error = await failure(signInWithPasskey({ fetch }));
    expect(error).toMatchObject({
      name: 'PasskeyError',
      code: 'passkey_challenge_expired',
      status: 400,
      message: 'The passkey challenge expired.',
    });
  });

  test('with autofill, asks the browser for conditional mediation', async () => {
    const { fetch } = fakeServer(ceremonyRoutes());
    addUsernameInput();
    await expect(signInWithPasskey({ fetch, autofill: true })).resolves.toEqual(SESSION);
    expect(get.mock.calls[0]?.[0].mediation).toBe('conditional');
  });

  test('with autofill, is unsupported before any request when the browser has no conditional UI', async () => {
    conditionalMediation = false;
    const { fetch } = fakeServer(ceremonyRoutes());
    addUsernameInput();
    expect(await isPasskeyAutofillSupported()).toBe(false);
    const error = await failure(signInWithPasskey({ fetch, autofill: true }));
    expect(error.code).toBe(PasskeyErrorCodes.unsupported);
    expect(fetch).not.toHaveBeenCalled();
  });

  test('with autofill, fails before any request when the page has no username webauthn input', async () => {
    const { fetch } = fakeServer(ceremonyRoutes());
    const error = await failure(signInWithPasskey({ fetch, autofill: true }));
    expect(error.code).toBe(PasskeyErrorCodes.ceremonyFailed);
    expect(error.message).toContain('autocomplete="username webauthn"');
    expect(fetch).not.toHaveBeenCalled();
  });

  test('a button-started sign-in aborts a pending autofill one, which rejects cancelled', async () => {
    const { fetch, sent } = fakeServer(ceremonyRoutes());
    addUsernameInput();
    // A conditional request stays pending until the user picks a passkey, or it is aborted.
    get.mockImplementation((options) =>
      options.mediation === 'conditional'
        ? new Promise((_, reject) =>
            options.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
          )
        : Promise.resolve(assertion()),
    );
    const autofill = signInWithPasskey({ fetch, autofill: true });
    await vi.waitFor(() => expect(get).toHaveBeenCalledTimes(1));

    await expect(signInWithPasskey({ fetch })).resolves.toEqual(SESSION);
    expect((await failure(autofill)).code).toBe(PasskeyErrorCodes.cancelled);
    expect(get.mock.calls.map(([options]) => options.mediation)).toEqual([
      'conditional',
      undefined,
    ]);
    expect(sent.filter(({ url }) => url.endsWith('/verify'))).toHaveLength(1);
  });

  test('an autofill sign-in still waiting for its options does not abort a later ceremony', async () => {
    let answerAutofill = () => {};
    let first = true;
    const { fetch } = fakeServer({
      ...ceremonyRoutes(),
      'POST /auth/passkeys/authenticate/options': () => {
        if (!first) return json(200, REQUEST_OPTIONS);
        first = false;
        return new Promise<Response>((resolve) => {
          answerAutofill = () => resolve(json(200, REQUEST_OPTIONS));
        });
      },
    });
    addUsernameInput();
    const autofill = signInWithPasskey({ fetch, autofill: true });
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));

    await expect(registerPasskey({ fetch })).resolves.toEqual(PASSKEY);
    answerAutofill();
    expect((await failure(autofill)).code).toBe(PasskeyErrorCodes.cancelled);
    expect(get).not.toHaveBeenCalled();
  });
});

describe('stepUpWithPasskey', () => {
  test('sends both requests with purpose=step-up, under the configured basePath', async () => {
    const { fetch, sent } = fakeServer({
      'POST /api/auth/passkeys/authenticate/options?purpose=step-up': () =>
        json(200, REQUEST_OPTIONS),
      'POST /api/auth/passkeys/authenticate/verify?purpose=step-up': () => json(200, SESSION),
    });
    await expect(stepUpWithPasskey({ fetch, basePath: '/api/auth/' })).resolves.toEqual(SESSION);
    expect(sent).toHaveLength(2);
  });
});

describe('managing passkeys', () => {
  test('lists, renames and removes with GET, PATCH and DELETE, the id URL-encoded', async () => {
    const { fetch, sent } = fakeServer({
      'GET /auth/passkeys': () => json(200, [PASSKEY]),
      'PATCH /auth/passkeys/a%2Fb%3F': () => new Response(null, { status: 204 }),
      'DELETE /auth/passkeys/a%2Fb%3F': () => new Response(null, { status: 204 }),
    });
    await expect(listPasskeys({ fetch })).resolves.toEqual([PASSKEY]);
    await expect(renamePasskey('a/b?', 'Work laptop', { fetch })).resolves.toBeUndefined();
    await expect(removePasskey('a/b?', { fetch })).resolves.toBeUndefined();

    expect(sent.map(({ method, url, body }) => [method, url, body])).toEqual([
      ['GET', '/auth/passkeys', null],
      ['PATCH', '/auth/passkeys/a%2Fb%3F', { name: 'Work laptop' }],
      ['DELETE', '/auth/passkeys/a%2Fb%3F', null],
    ]);
    expect(sent[1]?.headers).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
    });
  });

  test("passes on a server error's code and status, with a message that names no id", async () => {
    const { fetch } = fakeServer({
      'DELETE /auth/passkeys/secret-id': () =>
        json(404, { error: 'passkey_not_found', message: 'You have no passkey with this id.' }),
    });
    const error = await failure(removePasskey('secret-id', { fetch }));
    expect(error).toMatchObject({ code: 'passkey_not_found', status: 404 });
    expect(error.message).not.toContain('secret-id');
  });

  test('is http_error for an error status without JSON, invalid_response for success without it', async () => {
    const { fetch } = fakeServer({
      'GET /auth/passkeys': () => new Response('<h1>Bad gateway</h1>', { status: 502 }),
      'GET /other/passkeys': () => new Response('<html></html>', { status: 200 }),
    });
    expect(await failure(listPasskeys({ fetch }))).toMatchObject({
      code: PasskeyErrorCodes.httpError,
      status: 502,
    });
    expect(await failure(listPasskeys({ fetch, basePath: '/other' }))).toMatchObject({
      code: PasskeyErrorCodes.invalidResponse,
      status: 200,
    });
  });

  test('is network_error when the request does not reach the server', async () => {
    const offline = new TypeError('Failed to fetch');
    const fetch = vi.fn(async () => Promise.reject(offline)) as typeof globalThis.fetch;
    const error = await failure(renamePasskey('Y3JlZC0x', 'Phone', { fetch }));
    expect(error).toMatchObject({ code: PasskeyErrorCodes.network, status: undefined });
    expect(error.cause).toBe(offline);
  });

  test('uses globalThis.fetch, called as a function, when no fetch is given', async () => {
    const fetch = vi.fn(async () => json(200, []));
    vi.stubGlobal('fetch', fetch);
    await expect(listPasskeys()).resolves.toEqual([]);
    expect(fetch).toHaveBeenCalledWith(
      '/auth/passkeys',
      expect.objectContaining({ method: 'GET' }),
    );
  });
});

test('the browser entry imports no server code at runtime, and the server entry no browser code', () => {
  const source = (file: string) => readFileSync(new URL(file, import.meta.url), 'utf8');
  const runtimeImports = (code: string) =>
    [...code.matchAll(/^import (?!type\b)[^;]*?from '([^']+)'/gms)].map(([, from]) => from);
  expect(runtimeImports(source('./browser.ts'))).toEqual(['@simplewebauthn/browser']);
  expect(source('./index.ts')).not.toMatch(/browser/);
});
