import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from './browser';
import { close, listen } from './servers';

interface Echo {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const FORM_PAGE = `<!doctype html>
<form id="profile" method="post" action="/echo?from=form">
  <input type="hidden" name="csrf" value="t&amp;k">
  <input name="nickname" value="old">
  <input type="checkbox" name="news" value="yes" checked>
  <input type="checkbox" name="spam" value="yes">
  <input name="ignored" value="x" disabled>
  <select name="color"><option value="red">Red</option><option value="blue" selected>Blue</option></select>
  <textarea name="bio">hi &lt;3</textarea>
  <button type="submit" name="action" value="save">Save</button>
  <button type="submit" name="action" value="delete">Delete</button>
</form>
<form id="search" action="/echo"><input name="q"><input type="submit" value="Go"></form>
<form id="outside" method="post" action="/echo"><input type="hidden" name="xsrf" value="abc"></form>
<button type="submit" form="outside" name="logout" value="yes">Sign out</button>`;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const body = await readBody(req);
  const to = url.searchParams.get('to') ?? '/echo';
  switch (url.pathname) {
    case '/echo': {
      const echo: Echo = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
      };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(echo));
      return;
    }
    case '/redirect':
      res.statusCode = Number(url.searchParams.get('status') ?? '302');
      res.setHeader('location', to);
      res.end();
      return;
    case '/loop':
      res.statusCode = 302;
      res.setHeader('location', '/loop');
      res.end();
      return;
    case '/set':
      res.setHeader('set-cookie', [
        'plain=1; Path=/',
        'scoped=2; Path=/sub',
        'secure=3; Path=/; Secure; HttpOnly',
        '__Host-prefixed=4; Path=/; Secure',
        'lax=5; Path=/; SameSite=Lax',
        'strict=6; Path=/; SameSite=Strict',
      ]);
      res.statusCode = 302;
      res.setHeader('location', '/echo');
      res.end();
      return;
    case '/unset':
      res.setHeader('set-cookie', ['plain=; Path=/; Max-Age=0']);
      res.end('gone');
      return;
    case '/form':
      res.setHeader('content-type', 'text/html');
      res.end(FORM_PAGE);
      return;
    default:
      res.statusCode = 404;
      res.end('not found');
  }
}

describe('TestBrowser', () => {
  let server: Server;
  let origin: string;
  /** The same server under another site: `localhost` and `127.0.0.1` are different sites. */
  let otherSite: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    origin = await listen(server);
    otherSite = origin.replace('127.0.0.1', 'localhost');
  });

  afterAll(async () => {
    await close(server);
  });

  it('follows redirects on navigation and lists every hop', async () => {
    const browser = new TestBrowser();
    const start = `${origin}/redirect?status=302&to=${encodeURIComponent('/redirect?status=301&to=/echo')}`;
    const page = await browser.get(start);
    expect(page.status).toBe(200);
    expect(page.url).toBe(`${origin}/echo`);
    expect(page.redirects).toEqual([start, `${origin}/redirect?status=301&to=/echo`]);
    expect(browser.location).toBe(`${origin}/echo`);
  });

  it('sends navigation headers with Sec-Fetch-Site relative to the previous page', async () => {
    const browser = new TestBrowser();
    const first = await browser.get(`${origin}/echo`);
    expect(first.json<Echo>().headers).toMatchObject({
      accept: expect.stringMatching(/^text\/html,/),
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
      'sec-fetch-site': 'none',
    });
    const same = await browser.get(`${origin}/echo`);
    expect(same.json<Echo>().headers['sec-fetch-site']).toBe('same-origin');

    const other = new TestBrowser();
    await other.get(`${origin}/form`);
    const neighbour = createServer((req, res) => void handle(req, res));
    const neighbourOrigin = await listen(neighbour);
    try {
      const sameSite = await other.get(`${neighbourOrigin}/echo`);
      expect(sameSite.json<Echo>().headers['sec-fetch-site']).toBe('same-site');
      const crossSite = await other.get(`${otherSite}/echo`);
      expect(crossSite.json<Echo>().headers['sec-fetch-site']).toBe('cross-site');
    } finally {
      await close(neighbour);
    }
  });

  it('marks a navigation cross-site when any redirect hop was cross-site', async () => {
    const browser = new TestBrowser();
    await browser.get(`${origin}/form`);
    const bounce = `${otherSite}/redirect?to=${encodeURIComponent(`${origin}/echo`)}`;
    const page = await browser.get(`${origin}/redirect?to=${encodeURIComponent(bounce)}`);
    expect(page.url).toBe(`${origin}/echo`);
    expect(page.json<Echo>().headers['sec-fetch-site']).toBe('cross-site');
  });

  it('stores cookies per host and path, keeps Secure ones on loopback, and deletes on Max-Age=0', async () => {
    const browser = new TestBrowser();
    const page = await browser.get(`${origin}/set`);
    expect(page.setCookies).toEqual([]);
    const sent = page.json<Echo>().headers.cookie;
    expect(sent).toContain('plain=1');
    expect(sent).toContain('secure=3');
    expect(sent).toContain('__Host-prefixed=4');
    expect(sent).not.toContain('scoped=2');

    const names = async (url: string) => (await browser.cookies(url)).map((c) => c.name).sort();
    expect(await names(`${origin}/sub/page`)).toContain('scoped');
    expect(await names(`${otherSite}/`)).toEqual([]);

    const unset = await browser.get(`${origin}/unset`);
    expect(unset.setCookies).toEqual(['plain=; Path=/; Max-Age=0']);
    expect(await names(`${origin}/`)).not.toContain('plain');
  });

  it('sends Lax but not Strict cookies on a cross-site GET navigation, neither on a cross-site POST', async () => {
    const browser = new TestBrowser();
    await browser.get(`${origin}/set`);
    const formOnOtherSite = await browser.get(`${otherSite}/form`);
    const crossGet = await browser.get(`${origin}/echo`);
    const getCookie = crossGet.json<Echo>().headers.cookie;
    expect(getCookie).toContain('lax=5');
    expect(getCookie).not.toContain('strict=6');

    // A form on the other site that posts to us.
    const formPage = {
      ...formOnOtherSite,
      body: formOnOtherSite.body.replace(/\/echo/g, `${origin}/echo`),
    };
    const crossPost = await browser.submitForm(formPage, {}, '#outside');
    const postCookie = crossPost.json<Echo>().headers.cookie;
    expect(postCookie).toContain('plain=1');
    expect(postCookie).not.toContain('lax=5');
    expect(postCookie).not.toContain('strict=6');
  });

  it('submits a form with hidden inputs, the submit button, Origin and the form content type', async () => {
    const browser = new TestBrowser();
    const page = await browser.get(`${origin}/form`);
    const result = await browser.submitForm(page, { nickname: 'new nick' });
    const echo = result.json<Echo>();
    expect(echo.method).toBe('POST');
    expect(echo.path).toBe('/echo?from=form');
    expect(echo.headers).toMatchObject({
      origin,
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'navigate',
    });
    expect(Object.fromEntries(new URLSearchParams(echo.body))).toEqual({
      csrf: 't&k',
      nickname: 'new nick',
      news: 'yes',
      color: 'blue',
      bio: 'hi <3',
      action: 'save',
    });
  });

  it('submits GET forms as a query and honours controls outside the form via form="id"', async () => {
    const browser = new TestBrowser();
    const page = await browser.get(`${origin}/form`);
    const search = await browser.submitForm(page, { q: 'a b' }, '#search');
    expect(search.json<Echo>()).toMatchObject({ method: 'GET', path: '/echo?q=a+b' });

    const outside = await browser.submitForm(page, {}, '#outside');
    expect(new URLSearchParams(outside.json<Echo>().body).toString()).toBe('xsrf=abc&logout=yes');

    await expect(browser.submitForm(page, { nope: '1' })).rejects.toThrow(/no field named "nope"/);
    await expect(browser.submitForm(page, {}, '#missing')).rejects.toThrow(/no form matches/);
  });

  it('turns a POST into a GET on 303 and keeps method and body on 307/308', async () => {
    const browser = new TestBrowser();
    const form = await browser.get(`${origin}/form`);
    for (const [status, method, body] of [
      ['303', 'GET', ''],
      ['302', 'GET', ''],
      ['307', 'POST', 'xsrf=abc&logout=yes'],
      ['308', 'POST', 'xsrf=abc&logout=yes'],
    ] as const) {
      const page = {
        ...form,
        body: form.body.replace(
          'id="outside" method="post" action="/echo"',
          `id="outside" method="post" action="/redirect?status=${status}"`,
        ),
      };
      const result = await browser.submitForm(page, {}, '#outside');
      const echo = result.json<Echo>();
      expect(echo.method, status).toBe(method);
      expect(echo.body, status).toBe(body);
      expect(echo.headers['content-type'], status).toBe(
        method === 'POST' ? 'application/x-www-form-urlencoded' : undefined,
      );
      expect(echo.headers.origin, status).toBe(method === 'POST' ? origin : undefined);
      expect(result.redirects).toEqual([`${origin}/redirect?status=${status}`]);
    }
  });

  it('request() sends headers as given, carries cookies, and does not follow redirects by default', async () => {
    const browser = new TestBrowser();
    await browser.get(`${origin}/set`);
    const json = await browser.request(`${origin}/echo`, {
      method: 'POST',
      headers: { accept: 'application/json', origin: 'https://evil.example' },
      body: new URLSearchParams({ a: '1' }),
    });
    const echo = json.json<Echo>();
    expect(echo.headers.accept).toBe('application/json');
    expect(echo.headers.origin).toBe('https://evil.example');
    expect(echo.headers['sec-fetch-mode']).toBeUndefined();
    expect(echo.headers.cookie).toContain('plain=1');
    expect(echo.body).toBe('a=1');

    const redirect = await browser.request(`${origin}/redirect?status=302&to=/echo`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/echo');
    const followed = await browser.request(`${origin}/redirect?status=302&to=/echo`, {
      followRedirects: true,
    });
    expect(followed.url).toBe(`${origin}/echo`);
  });

  it('gives up after maxRedirects', async () => {
    const browser = new TestBrowser({ maxRedirects: 3 });
    await expect(browser.get(`${origin}/loop`)).rejects.toThrow(/more than 3 redirects/);
  });
});
