import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWithToken } from './dpop';
import {
  encodeParsedBody,
  forward,
  forwardedResponse,
  forwardTarget,
  hasDotSegment,
  staticPrefix,
} from './forward';
import { type AuthContext, type ContextLink, LINK } from './session-context';
import type { Session } from './session-record';

describe('staticPrefix', () => {
  it.each([
    ['/api/*', '/api'],
    ['/api/:rest*', '/api'],
    ['/api/v1/(.*)', '/api/v1'],
    ['/api/', '/api'],
    ['/api//', '/api'],
    ['/api/files-:id', '/api'],
    ['/api', '/api'],
    ['/*', ''],
    ['/', ''],
  ])('reads %s as mounted at %j', (pattern, prefix) => {
    expect(staticPrefix(pattern)).toBe(prefix);
  });
});

describe('hasDotSegment', () => {
  it.each([
    '/api/../x',
    '/api/./x',
    '/api/..',
    '/api/%2e%2e/x',
    '/api/%2E./x',
    '/api/.%2e/x',
    '/api/%252e%252e/x',
    '/api/..%2fx',
    '/api/..%5Cx',
    '/api/..\\x',
    '/api/..;jsessionid=1/x',
    '/api/%2e%2e%zz',
  ])('finds the dot segment in %s', (path) => {
    expect(hasDotSegment(path)).toBe(true);
  });

  it.each(['/api/x', '/api/.well-known/x', '/api/a..b', '/api/...', '/api/file.json', '/api/%41'])(
    'finds none in %s',
    (path) => {
      expect(hasDotSegment(path)).toBe(false);
    },
  );

  it('gives up on a path still encoded after four rounds of decoding', () => {
    expect(hasDotSegment('/api/%252525252e')).toBe(true);
    expect(hasDotSegment('/api/%25252541')).toBe(true);
    expect(hasDotSegment('/api/%252541')).toBe(false);
  });
});

describe('forwardTarget', () => {
  const api = 'https://api.example.com/v1/';

  it("appends the request's path and query to the API's path, on the API's origin", () => {
    const target = forwardTarget('https://app.example.com/api/reports?year=2026', api, '/api');
    expect(target.href).toBe('https://api.example.com/v1/api/reports?year=2026');
    expect(forwardTarget('https://app.example.com/api', api, '/api/').pathname).toBe('/v1/api');
    expect(forwardTarget('https://app.example.com//evil.example/x', api, '').origin).toBe(
      'https://api.example.com',
    );
    expect(forwardTarget('https://app.example.com/', api, '').pathname).toBe('/v1/');
    expect(
      forwardTarget('https://app.example.com/api/x', 'https://api.example.com/v1//', '/api')
        .pathname,
    ).toBe('/v1/api/x');
  });

  it('refuses a path outside the mount and one with a dot segment, with 400 invalid_request', () => {
    for (const url of [
      'https://app.example.com/apix/reports',
      'https://app.example.com/other',
      'https://app.example.com/api/%2e%2e/internal',
    ]) {
      expect(() => forwardTarget(url, api, '/api')).toThrow(
        expect.objectContaining({ code: 'invalid_request', status: 400 }),
      );
    }
    expect(() => forwardTarget('https://app.example.com/apix', api, '/api')).toThrow(
      "The API path must stay under '/api' and hold no dot segments ('.' or '..', in any encoding).",
    );
    expect(() => forwardTarget('https://app.example.com/x/../y', api, '')).toThrow(
      "The API path must stay under '/' and hold no dot segments",
    );
  });

  it('reads the raw path without its query or fragment', () => {
    expect(forwardTarget('https://app.example.com/api/x?q=../..', api, '/api').search).toBe(
      '?q=../..',
    );
  });
});

describe('forwardedResponse', () => {
  const answer = (headers: Record<string, string>, status = 200) =>
    forwardedResponse(new Response('body', { status, headers }));

  it('keeps status, body and the headers a browser needs, and drops the rest', async () => {
    const response = answer(
      {
        'content-type': 'application/json',
        'www-authenticate': 'Bearer error="insufficient_user_authentication"',
        location: '/next',
        'retry-after': '5',
        'set-cookie': 'api=1',
        'x-powered-by': 'api',
      },
      401,
    );
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('body');
    expect(response.headers.get('www-authenticate')).toContain('insufficient_user_authentication');
    expect(response.headers.get('location')).toBe('/next');
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it.each(['application/json', 'application/problem+json; charset=utf-8', 'Application/JSON'])(
    'sends %s without a sandbox',
    (type) => {
      expect(answer({ 'content-type': type }).headers.get('content-security-policy')).toBeNull();
    },
  );

  it.each(['text/html', 'application/jsonp', 'text/json-ish', 'image/svg+xml'])(
    'sandboxes %s',
    (type) => {
      expect(answer({ 'content-type': type }).headers.get('content-security-policy')).toBe(
        'sandbox',
      );
    },
  );

  it.each(['text/plain; profile=application/json', 'x-application/json'])(
    'sandboxes %s, which only mentions JSON',
    (type) => {
      expect(answer({ 'content-type': type }).headers.get('content-security-policy')).toBe(
        'sandbox',
      );
    },
  );

  it('sandboxes an answer without a Content-Type, and adds no header the API did not send', () => {
    const response = answer({});
    expect(response.headers.get('content-security-policy')).toBe('sandbox');
    for (const name of ['www-authenticate', 'location', 'retry-after']) {
      expect(response.headers.has(name)).toBe(false);
    }
  });

  it.each([
    ['public, max-age=3600', 'private, no-store'],
    ['max-age=60', 'private, no-store'],
    [undefined, 'private, no-store'],
    ['no-storex', 'private, no-store'],
    ['public, no-storefront=1', 'private, no-store'],
    ['private, max-age=60', 'private, max-age=60'],
    ['no-store', 'no-store'],
    ['max-age=0, private="set-cookie"', 'max-age=0, private="set-cookie"'],
  ])('turns Cache-Control %j into %j', (given, sent) => {
    const headers: Record<string, string> = given ? { 'cache-control': given } : {};
    expect(answer(headers).headers.get('cache-control')).toBe(sent);
  });
});

describe('forward', () => {
  /** A real API on a free port that records what reaches it. */
  const received: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] =
    [];
  const api = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': 'api=1' });
      res.end('{"ok":true}');
    });
  });
  let apiUrl = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

  const app = 'https://app.example.com';
  /** A context as latchkey links it, for `request` (forwarding reads only these parts). */
  const contextOf = (request: Request, session: Session | null): AuthContext => ({
    request,
    session,
    problem: undefined,
    getAccessToken: async () => 'access-token',
    fetchWithToken: (url, init) => callWithToken('access-token', undefined, url, init ?? {}, 2000),
    [LINK]: { forward: { appOrigin: app, timeout: 2000 } } as ContextLink,
  });
  const signedIn = (request: Request) => contextOf(request, {} as Session);
  const signedOut = (request: Request) => contextOf(request, null);
  const underApi = { mountPath: '/api' };

  it("sends the request's method, path, query, type and body with the access token, and nothing else", async () => {
    const request = new Request(`${app}/api/notes?draft=1`, {
      method: 'POST',
      headers: {
        origin: app,
        'content-type': 'text/plain',
        cookie: 'lk_session=x',
        'x-other': '1',
      },
      body: 'hello',
    });
    const answer = await forward(signedIn(request), apiUrl, underApi);
    expect(answer.status).toBe(201);
    expect(await answer.json()).toEqual({ ok: true });
    expect(answer.headers.get('set-cookie')).toBeNull();
    const [call] = received.splice(0);
    expect(call).toMatchObject({ method: 'POST', url: '/v1/api/notes?draft=1', body: 'hello' });
    expect(call!.headers.authorization).toBe('Bearer access-token');
    expect(call!.headers['content-type']).toBe('text/plain');
    expect(call!.headers.cookie).toBeUndefined();
    expect(call!.headers['x-other']).toBeUndefined();
  });

  it('forwards a read from another site: only writes must come from the app', async () => {
    const read = new Request(`${app}/api/notes`, {
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    const answer = await forward(signedIn(read), apiUrl, underApi);
    expect(answer.status).toBe(201);
    const [call] = received.splice(0);
    expect(call).toMatchObject({ method: 'GET', url: '/v1/api/notes', body: '' });
  });

  it('answers JSON errors: signed out 401, a foreign write 403, an unreachable API 502', async () => {
    const get = new Request(`${app}/api/notes`, { headers: { accept: 'text/html' } });
    const signedOutAnswer = await forward(signedOut(get), apiUrl, underApi);
    expect(signedOutAnswer.status).toBe(401);
    expect(await signedOutAnswer.json()).toEqual({
      error: 'unauthenticated',
      message: 'Sign in to call this API.',
    });
    const foreign = new Request(`${app}/api/notes`, {
      method: 'DELETE',
      headers: { origin: 'https://evil.example' },
    });
    const refused = await forward(signedIn(foreign), apiUrl, underApi);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: 'origin_mismatch',
      message:
        'API writes must come from this app (the Origin or Sec-Fetch-Site header is missing or foreign).',
    });
    const down = await forward(signedIn(get), 'http://127.0.0.1:1/v1', underApi);
    expect(down.status).toBe(502);
    expect(await down.json()).toEqual({
      error: 'api_unreachable',
      message: 'The API could not be reached or did not answer in time.',
    });
    expect(received).toEqual([]);
  });
});

describe('encodeParsedBody', () => {
  it('keeps text and bytes as they are, and sends nothing for no body', () => {
    expect(encodeParsedBody('a=1', 'application/x-www-form-urlencoded')).toBe('a=1');
    expect(encodeParsedBody(new TextEncoder().encode('café'), 'text/plain')).toBe('café');
    expect(encodeParsedBody(undefined, 'application/json')).toBe('');
    expect(encodeParsedBody(null, 'application/json')).toBe('');
    expect(encodeParsedBody(5, 'application/json')).toBe('');
  });

  it('encodes a parsed object as JSON for a JSON type and as a form otherwise', () => {
    const parsed = { name: 'Ada Lovelace', tags: ['a', 'b'], n: 2, ok: true, nested: { x: 1 } };
    expect(encodeParsedBody(parsed, 'application/json; charset=utf-8')).toBe(
      JSON.stringify(parsed),
    );
    expect(encodeParsedBody(parsed, 'application/problem+json')).toBe(JSON.stringify(parsed));
    expect(encodeParsedBody(parsed, 'application/x-www-form-urlencoded')).toBe(
      'name=Ada+Lovelace&tags=a&tags=b&n=2&ok=true',
    );
    expect(encodeParsedBody({ a: '1' }, undefined)).toBe('a=1');
  });
});
