import type { SignInPage } from '@latchkey/dev-idp';

/** A response as the agent saw it, after any redirects. */
export interface AgentPage extends SignInPage {
  headers: Headers;
  json<T = unknown>(): T;
}

interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

/**
 * The least of a browser that a sign-in at the dev IdP needs: cookies (by host name, as browsers
 * keep them whatever the port, and by path), redirects, and HTML forms with their inputs. It sends
 * requests with `fetch`, which marks each one `Sec-Fetch-Mode: cors`: latchkey treats them as a
 * script's calls, so its guards answer 401 or 403 JSON instead of redirecting. Not a browser: no
 * JavaScript, and of the cookie attributes only Path and a deletion (Max-Age or Expires).
 */
export class CookieAgent {
  readonly #cookies = new Map<string, Cookie>();

  /** GET `url`, following redirects. */
  get(url: string): Promise<AgentPage> {
    return this.#go(new URL(url), 'GET');
  }

  /**
   * Submits the form on `page` that `selector` finds (`form` for the first one, or `#id`), with
   * `values` over its inputs, and follows the redirects. Buttons send nothing: give a button's
   * name and value in `values` when the server reads them.
   */
  submitForm(
    page: AgentPage,
    values: Record<string, string> = {},
    selector = 'form',
  ): Promise<AgentPage> {
    const forms = [...page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
    const form = forms.find(
      ([, attributes = '']) =>
        selector === 'form' || `#${attribute(attributes, 'id')}` === selector,
    );
    if (!form) throw new Error(`no form matches ${selector} on ${page.url}`);
    const [, attributes = '', inner = ''] = form;
    const fields = new URLSearchParams();
    for (const [, input = ''] of inner.matchAll(/<input\b([^>]*)>/gi)) {
      const name = attribute(input, 'name');
      if (name) fields.set(name, attribute(input, 'value') ?? '');
    }
    for (const [name, value] of Object.entries(values)) fields.set(name, value);
    const action = new URL(attribute(attributes, 'action') || page.url, page.url);
    if ((attribute(attributes, 'method') ?? 'get').toLowerCase() === 'post') {
      return this.#go(action, 'POST', fields.toString(), new URL(page.url).origin);
    }
    action.search = fields.toString();
    return this.#go(action, 'GET');
  }

  async #go(
    start: URL,
    startMethod: string,
    startBody?: string,
    origin?: string,
  ): Promise<AgentPage> {
    let [url, method, body] = [start, startMethod, startBody];
    for (let hop = 0; hop < 20; hop++) {
      const headers = new Headers();
      const cookie = this.#cookieHeader(url);
      if (cookie) headers.set('cookie', cookie);
      if (body !== undefined) {
        headers.set('content-type', 'application/x-www-form-urlencoded');
        headers.set('origin', origin ?? 'null');
      }
      const response = await fetch(url, {
        method,
        headers,
        body: body ?? null,
        redirect: 'manual',
      });
      for (const line of response.headers.getSetCookie()) this.#keep(url, line);
      const text = await response.text();
      const location = response.headers.get('location');
      if (response.status < 300 || response.status > 399 || !location) {
        return {
          url: url.href,
          status: response.status,
          headers: response.headers,
          body: text,
          json: <T>() => JSON.parse(text) as T,
        };
      }
      url = new URL(location, url);
      // 301, 302 and 303 continue with a GET; 307 and 308 repeat the request.
      if (response.status !== 307 && response.status !== 308) [method, body] = ['GET', undefined];
    }
    throw new Error(`more than 20 redirects from ${start.href}`);
  }

  /** Keeps or deletes the cookie of one `Set-Cookie` line. */
  #keep(url: URL, line: string): void {
    const [pair = '', ...parts] = line.split(';');
    const split = pair.indexOf('=');
    const name = pair.slice(0, split).trim();
    // Without a Path attribute, the cookie belongs to the directory of the URL that set it.
    const directory = url.pathname.slice(0, url.pathname.lastIndexOf('/')) || '/';
    const cookie = {
      name,
      value: pair.slice(split + 1).trim(),
      host: url.hostname,
      path: directory,
    };
    let maxAge: number | undefined;
    let expires: number | undefined;
    for (const part of parts) {
      const [key = '', value = ''] = part.split('=').map((text) => text.trim());
      if (/^path$/i.test(key) && value.startsWith('/')) cookie.path = value;
      if (/^max-age$/i.test(key)) maxAge = Number(value);
      if (/^expires$/i.test(key)) expires = Date.parse(value);
    }
    // Max-Age wins over Expires. A cookie that expires later is simply kept.
    const expired =
      maxAge !== undefined ? maxAge <= 0 : expires !== undefined && expires <= Date.now();
    const key = `${cookie.host} ${cookie.path} ${name}`;
    if (expired) this.#cookies.delete(key);
    else this.#cookies.set(key, cookie);
  }

  #cookieHeader(url: URL): string {
    return [...this.#cookies.values()]
      .filter((c) => c.host === url.hostname && pathMatches(url.pathname, c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  const prefix = cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`;
  return requestPath.startsWith(prefix);
}

/** A double-quoted attribute of an HTML tag, with the entities HTML escaping makes decoded. */
function attribute(tag: string, name: string): string | undefined {
  const value = new RegExp(`(?:^|\\s)${name}="([^"]*)"`, 'i').exec(tag)?.[1];
  return value
    ?.replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
