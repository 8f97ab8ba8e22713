// Property tests of every parser that reads what a browser, an API client or an IdP's back channel
// sends: any input gets a typed answer (a LatchkeyError, or a 4xx response naming its code) or a
// valid result; never another exception, never a 5xx, never longer than 100 ms. 1,000 inputs each
// in `npm test`, 100,000 under `pnpm fuzz`. The hostile IdP (a real OP over HTTP) is there for the
// logout tokens whose issuer it is; nothing else here reaches an IdP.
import { fuzz, type HostileIdp, hostileText, startHostileIdp } from '@latchkey/test-utils';
import fc from 'fast-check';
import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerVerifier, createLatchkey, isLatchkeyError, type Latchkey } from '../src/index';
import { isSameOrigin, safeReturnTo, wantsJson } from '../src/request';
import { API, ISSUER, useTokenIssuer } from './token-issuer';

const APP = 'https://app.example.com';
const tokens = useTokenIssuer();
let idp: HostileIdp;
let latchkey: Latchkey;
beforeAll(async () => {
  idp = await startHostileIdp({ clientId: 'app', clientSecret: 'app-secret' });
  latchkey = createLatchkey({
    issuer: idp.issuer,
    clientId: 'app',
    clientSecret: 'app-secret',
    baseUrl: APP,
    secrets: ['fuzz-secret-fuzz-secret-fuzz-secret-0001'],
  });
});
afterAll(() => idp?.stop());

/** A response of latchkey's to input it did not like: a client error with a stable code. */
async function typed(response: Response | undefined): Promise<void> {
  expect(response, 'a latchkey route answers').toBeDefined();
  expect(response!.status, await response!.clone().text()).toBeLessThan(500);
  if (response!.status >= 400 && response!.headers.get('content-type')?.includes('json')) {
    expect((await response!.json()).error).toMatch(/^[a-z_]+$/);
  }
}

const headerValue = hostileText([
  'lk_session',
  'lk_session.0',
  'lk_session.1',
  'lk_tx.0',
  '__Host-',
]);
/** What `Headers` accepts: no NUL, CR or LF, and no code unit above 255. */
const asHeader = (text: string) => text.replace(/[\0\r\n]|[^\0-\xff]/g, '');

/** A compact JWS of JSON `header` and `payload` (or anything) and a made-up signature. */
const jwtLike = (header: unknown, payload: unknown, signature: string) =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.${signature}`;
const json = fc.jsonValue({ maxDepth: 2 });

describe('fuzz: what browsers send', () => {
  it('reads any Cookie header, chunked session cookies included', async () => {
    const cookie = fc.oneof(
      headerValue,
      fc
        .array(
          fc.tuple(
            fc.constantFrom('lk_session', 'lk_session.0', 'lk_session.1', 'lk_session.3', 'x'),
            fc.oneof(fc.base64String({ maxLength: 200 }), headerValue),
          ),
          { maxLength: 6 },
        )
        .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('; ')),
    );
    await fuzz(cookie, async (value) => {
      const request = new Request(`${APP}/profile`, { headers: { cookie: asHeader(value) } });
      const context = await latchkey.authenticate(request, () => {});
      expect(context.session).toBeNull();
      if (context.problem) expect(isLatchkeyError(context.problem)).toBe(true);
      await typed(await latchkey.handle(new Request(`${APP}/auth/session`, request)));
    });
  });

  it('answers any Accept, Sec-Fetch-* and Origin on the session and sign-out routes', async () => {
    const headers = fc.record(
      {
        accept: fc.oneof(headerValue, fc.constantFrom('application/json', 'text/html', '*/*')),
        'sec-fetch-mode': fc.oneof(headerValue, fc.constantFrom('navigate', 'cors')),
        'sec-fetch-site': fc.oneof(headerValue, fc.constantFrom('same-origin', 'cross-site')),
        'sec-fetch-dest': headerValue,
        origin: fc.oneof(headerValue, fc.constantFrom(APP, 'null', `${APP}:443`, 'https://evil')),
        'content-type': headerValue,
      },
      { requiredKeys: [] },
    );
    await fuzz(headers, async (given) => {
      const clean = Object.fromEntries(
        Object.entries(given).map(([name, value]) => [name, asHeader(value)]),
      );
      const request = new Request(`${APP}/auth/logout`, { method: 'POST', headers: clean });
      expect(typeof wantsJson(request)).toBe('boolean');
      expect(typeof isSameOrigin(request, APP)).toBe('boolean');
      await typed(await latchkey.handle(request));
      await typed(await latchkey.handle(new Request(`${APP}/auth/session`, { headers: clean })));
    });
  });

  it('refuses any callback query without a sign-in in progress, before reaching the IdP', async () => {
    const requestsBefore = idp.requests.length;
    const query = fc.oneof(
      hostileText(['state', 'code', 'iss', 'error', '&', '?', '#']),
      fc
        .dictionary(
          fc.constantFrom('state', 'code', 'iss', 'error', 'error_description', 'session_state'),
          hostileText(),
        )
        .map((params) => new URLSearchParams(params).toString()),
    );
    await fuzz(fc.tuple(query, headerValue), async ([search, cookie]) => {
      // The URL's own encoding: stray `%` sequences stay as sent.
      const url = new URL(`${APP}/auth/callback`);
      url.search = search;
      const response = await latchkey.handle(
        new Request(url, { headers: { cookie: asHeader(cookie), accept: 'application/json' } }),
      );
      expect(response!.status).toBe(400);
      await typed(response);
    });
    expect(idp.requests.length).toBe(requestsBefore);
  });

  it('turns any returnTo into a path on the app', async () => {
    const base = new URL(APP);
    const returnTo = hostileText([
      ...['/', '//', '\\', '/\\', '\uff0f', '\u2215', '%2f', '%5c', '%252f'],
      ...['.', '..', '%2e', '%252e', ':', '@', '?', '#', 'evil.example'],
      ...['\t', '\n', '\r', '\u007f', '%09', '%0a', '%00'],
    ]);
    await fuzz(returnTo, (value) => {
      const path = safeReturnTo(value, base);
      expect(path.startsWith('/')).toBe(true);
      expect(['/', '\\']).not.toContain(path.charAt(1));
      expect(new URL(path, base).origin).toBe(base.origin);
      expect(new URL(path, `${APP}/deep/page`).origin).toBe(base.origin);
    });
  });
});

describe('fuzz: what API clients send', () => {
  it('answers any Authorization and DPoP headers with a token or a 4xx', async () => {
    const verifier = createBearerVerifier({
      issuer: ISSUER,
      audience: API,
      jwksUri: tokens.jwksUri,
      dpop: 'allowed',
    });
    const token = fc.oneof(
      headerValue,
      fc
        .tuple(json, json, fc.base64String({ maxLength: 40 }))
        .map(([header, payload, signature]) => jwtLike(header, payload, signature)),
      fc
        .tuple(json, fc.base64String({ maxLength: 40 }))
        .map(([payload, signature]) =>
          jwtLike({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }, payload, signature),
        ),
    );
    const request = fc.record({
      authorization: fc.oneof(
        headerValue,
        fc
          .tuple(fc.constantFrom('Bearer ', 'DPoP ', 'bearer  ', 'Basic '), token)
          .map(([scheme, value]) => scheme + value),
      ),
      dpop: fc.oneof(
        fc.constant(undefined),
        headerValue,
        fc.array(token, { maxLength: 3 }),
        fc
          .tuple(json, json)
          .map(([header, payload]) =>
            jwtLike({ typ: 'dpop+jwt', alg: 'ES256', jwk: header }, payload, 'c2ln'),
          ),
      ),
      method: fc.oneof(fc.constantFrom('GET', 'POST'), headerValue),
      url: fc.oneof(fc.constant('https://api.example.com/reports'), headerValue),
    });
    await fuzz(request, async (given) => {
      const answer = await verifier.authenticate({
        ...given,
        authorization: asHeader(given.authorization),
      });
      if (answer.token) return;
      expect(answer.response!.status === 401 || answer.response!.status === 400).toBe(true);
      await typed(answer.response);
    });
  });
});

describe('fuzz: what the back channel receives', () => {
  it('answers any logout-token body with 400 and a code, signed with unknown keys included', async () => {
    const claims = fc.record(
      {
        iss: fc.oneof(fc.constant(`${APP}-idp`), json),
        aud: fc.oneof(fc.constant('app'), json),
        iat: fc.oneof(fc.integer(), json),
        jti: json,
        sub: json,
        sid: json,
        events: fc.oneof(
          fc.constant({ 'http://schemas.openid.net/event/backchannel-logout': {} }),
          json,
        ),
        nonce: json,
      },
      { requiredKeys: [] },
    );
    const logoutToken = fc.oneof(
      hostileText(['.', 'eyJ']),
      fc
        .tuple(json, claims, fc.base64String({ maxLength: 60 }))
        .map(([header, payload, signature]) => jwtLike(header, payload, signature)),
      // Naming the hostile IdP as issuer, so that its keys are looked up and must refuse them.
      fc
        .tuple(claims, fc.base64String({ maxLength: 60 }), fc.constantFrom('k1', 'other', ''))
        .map(([payload, signature, kid]) =>
          jwtLike(
            { alg: 'RS256', typ: 'logout+jwt', kid },
            { ...payload, iss: idp.issuer },
            signature,
          ),
        ),
    );
    const body = fc.oneof(
      logoutToken.map((token) => new URLSearchParams({ logout_token: token }).toString()),
      fc
        .tuple(logoutToken, logoutToken)
        .map(([one, two]) => `logout_token=${one}&logout_token=${two}`),
      hostileText(['logout_token=', '&', '=']),
    );
    const type = fc.oneof(
      fc.constant('application/x-www-form-urlencoded'),
      fc.constant('application/x-www-form-urlencoded; charset=utf-8'),
      headerValue,
    );
    await fuzz(fc.tuple(body, type), async ([text, contentType]) => {
      const response = await latchkey.handle(
        new Request(`${APP}/auth/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': asHeader(contentType) },
          body: text,
        }),
      );
      expect(response!.status).toBe(400);
      await typed(response);
    });
  });
});
