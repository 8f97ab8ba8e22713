import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type HTMLElement, parse } from 'node-html-parser';
import { CookieJar, getPublicSuffix } from 'tough-cookie';

/** One HTTP response as a test sees it, after any redirects were followed. */
export interface Page {
  /** Status of the last response. */
  status: number;
  /** URL of the last response (where the redirects ended). */
  url: string;
  /** Headers of the last response. */
  headers: Headers;
  /** Body of the last response, as text. */
  body: string;
  /** `Set-Cookie` lines of the last response only (earlier hops are in the jar). */
  setCookies: string[];
  /**
   * Every URL that answered with a redirect that was followed, in order; the
   * whole chain is `[...redirects, url]`. Empty when nothing redirected.
   */
  redirects: string[];
  /** Parses {@link Page.body} as JSON. */
  json<T = unknown>(): T;
}

/** Options of {@link TestBrowser}. */
export interface TestBrowserOptions {
  /** Redirects followed before giving up with an error. Default `20`, like Chrome. */
  maxRedirects?: number;
}

/** Options of {@link TestBrowser.get}. */
export interface NavigationInit {
  /** Extra request headers; they override the navigation defaults (`Accept`, `Sec-Fetch-*`). */
  headers?: Record<string, string>;
}

/** Options of {@link TestBrowser.request}. */
export interface TestRequestInit {
  /** HTTP method. Default `GET`. */
  method?: string;
  /**
   * Request headers, sent as given: nothing browser-like is added except the
   * jar's cookies (a `Cookie` header given here replaces them).
   */
  headers?: Record<string, string>;
  /** Request body; a `URLSearchParams` gets `application/x-www-form-urlencoded` unless a `Content-Type` is given. */
  body?: string | URLSearchParams;
  /** Follow redirects like fetch's `redirect: 'follow'`. Default `false`. */
  followRedirects?: boolean;
}

/** Value of the `Sec-Fetch-Site` request header. */
type FetchSite = 'none' | 'same-origin' | 'same-site' | 'cross-site';

/** The cookie jar's view of a request for `SameSite` (RFC 6265bis 5.2). */
type SameSiteContext = 'strict' | 'lax' | 'none';

/** What {@link TestBrowser} sends on every top-level navigation, like Chrome. */
const NAVIGATION_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** Headers that describe a body: dropped when a redirect turns the request into a GET (Fetch). */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language'];

/** One request of a redirect chain. */
interface Hop {
  url: URL;
  method: string;
  headers: Headers;
  body: string | undefined;
}

/** How a chain of requests is driven. */
interface Drive {
  follow: boolean;
  /** Set for top-level navigations: the URL of the page that started it, or `null` when typed. */
  navigation?: { initiator: URL | null; site?: string };
}

/** Schemeful site (scheme + registrable domain) of a URL, as used for `SameSite` and fetch metadata. */
function siteOf(url: URL): string {
  const host = url.hostname;
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[');
  const registrable = isIp
    ? host
    : (getPublicSuffix(host, { allowSpecialUseDomain: true, ignoreError: true }) ?? host);
  return `${url.protocol}//${registrable}`;
}

/** `Sec-Fetch-Site` for a request started by `initiator` that went through `chain` (Fetch Metadata 2.5). */
function fetchSite(initiator: URL | null, chain: URL[]): FetchSite {
  if (initiator === null) return 'none';
  let value: FetchSite = 'same-origin';
  for (const url of chain) {
    if (url.origin === initiator.origin) continue;
    if (siteOf(url) !== siteOf(initiator)) return 'cross-site';
    value = 'same-site';
  }
  return value;
}

/** The `SameSite` context of a navigation: cross-site GETs see Lax cookies, cross-site POSTs none. */
function navigationCookieContext(site: FetchSite, method: string): SameSiteContext {
  if (site !== 'cross-site') return 'strict';
  return method === 'GET' || method === 'HEAD' ? 'lax' : 'none';
}

/** One request a {@link TestBrowser} sent and the response it got (see {@link TestBrowser.watch}). */
export interface Exchange {
  url: URL;
  method: string;
  status: number;
  headers: Headers;
  body: string;
}

/** A response as read off the wire. */
interface HttpResponse {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * Sends one HTTP request with exactly the given headers. Node's `fetch` cannot
 * be used: it always overwrites `Sec-Fetch-Mode` with `cors` (nodejs/undici#1305),
 * which would hide that a request is a navigation.
 */
function exchange(
  url: URL,
  method: string,
  headers: Headers,
  body: string | undefined,
): Promise<HttpResponse> {
  const outgoing: Record<string, string> = Object.fromEntries(headers);
  if (body !== undefined) outgoing['content-length'] = String(Buffer.byteLength(body));
  else if (!['GET', 'HEAD', 'OPTIONS'].includes(method)) outgoing['content-length'] = '0';
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, { method, headers: outgoing, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const received = new Headers();
        const raw = response.rawHeaders;
        for (let i = 0; i + 1 < raw.length; i += 2) received.append(raw[i]!, raw[i + 1]!);
        resolve({
          status: response.statusCode ?? 0,
          headers: received,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

function makePage(response: HttpResponse, url: URL, redirects: string[]): Page {
  const { body } = response;
  return {
    status: response.status,
    url: url.href,
    headers: response.headers,
    body,
    setCookies: response.headers.getSetCookie(),
    redirects,
    json<T = unknown>(): T {
      return JSON.parse(body) as T;
    },
  };
}

/** The controls of `form` in tree order, including those outside it that point at it with `form="id"`. */
function formControls(root: HTMLElement, form: HTMLElement): HTMLElement[] {
  const formId = form.id;
  return root.querySelectorAll('input, button, select, textarea').filter((control) => {
    const owner = control.getAttribute('form');
    if (owner !== undefined) return formId !== '' && owner === formId;
    return control.closest('form') === form;
  });
}

function isSubmitButton(control: HTMLElement): boolean {
  const type = (control.getAttribute('type') ?? '').toLowerCase();
  if (control.tagName === 'BUTTON') return type === '' || type === 'submit';
  return control.tagName === 'INPUT' && (type === 'submit' || type === 'image');
}

/** The form data set of `controls` as a browser would build it (HTML "constructing the entry list"). */
function formEntries(
  controls: HTMLElement[],
  submitter: HTMLElement | undefined,
): [string, string][] {
  const entries: [string, string][] = [];
  for (const control of controls) {
    const name = control.getAttribute('name');
    if (!name || control.hasAttribute('disabled')) continue;
    const type = (control.getAttribute('type') ?? '').toLowerCase();
    const value = control.getAttribute('value');
    switch (control.tagName) {
      case 'BUTTON':
        if (control === submitter) entries.push([name, value ?? '']);
        break;
      case 'SELECT': {
        const options = control.querySelectorAll('option');
        const selected = options.filter((option) => option.hasAttribute('selected'));
        const chosen = selected.length > 0 || control.hasAttribute('multiple') ? selected : options;
        const picked = control.hasAttribute('multiple') ? chosen : chosen.slice(0, 1);
        for (const option of picked) {
          entries.push([name, option.getAttribute('value') ?? option.text.trim()]);
        }
        break;
      }
      case 'TEXTAREA':
        entries.push([name, control.text]);
        break;
      default:
        if (type === 'submit' || type === 'image') {
          if (control === submitter) entries.push([name, value ?? 'Submit']);
        } else if (type === 'checkbox' || type === 'radio') {
          if (control.hasAttribute('checked')) entries.push([name, value ?? 'on']);
        } else if (type !== 'button' && type !== 'reset' && type !== 'file') {
          entries.push([name, value ?? '']);
        }
    }
  }
  return entries;
}

/**
 * An HTTP agent that behaves like a browser without JavaScript: it handles
 * redirects itself (like `fetch` with `redirect: 'manual'`, but over `node:http`,
 * so that its fetch-metadata headers are the ones a browser sends).
 *
 * - Cookies live in a tough-cookie {@link CookieJar} (host-only, path, expiry,
 *   `Max-Age=0` deletes; `Secure` cookies work on `http://localhost` and
 *   `http://127.0.0.1`, which browsers treat as secure contexts). `SameSite` is
 *   enforced on navigations: a cross-site GET sends `Lax` cookies, a cross-site
 *   POST neither `Lax` nor `Strict` ones. Cookies without `SameSite` are sent
 *   everywhere (Chrome's Lax-by-default is not modelled).
 * - Navigations ({@link TestBrowser.get}, {@link TestBrowser.submitForm}) send
 *   `Accept: text/html,...`, `Sec-Fetch-Mode: navigate`, `Sec-Fetch-Dest: document`
 *   and `Sec-Fetch-Site` relative to the page that started them (`none` for the
 *   first navigation, like a typed URL), recomputed over the redirect chain.
 * - Form POSTs send `Origin` (the page's origin, or `null` after a cross-origin
 *   307/308 redirect) and `Content-Type: application/x-www-form-urlencoded`.
 * - 301/302/303 turn into GET without a body; 307/308 keep method and body;
 *   `Authorization` is dropped on a cross-origin redirect.
 */
export class TestBrowser {
  static readonly #watchers = new Set<(exchange: Exchange) => void>();

  /**
   * Calls `watcher` with every request any TestBrowser sends and the response it gets, redirects
   * included, until the returned function is called: for tests that audit all an app said.
   */
  static watch(watcher: (exchange: Exchange) => void): () => void {
    TestBrowser.#watchers.add(watcher);
    return () => TestBrowser.#watchers.delete(watcher);
  }

  /** The cookie jar; inspect or seed it directly when a test needs to. */
  readonly jar: CookieJar;
  readonly #maxRedirects: number;
  #location: URL | null = null;

  constructor(options: TestBrowserOptions = {}) {
    this.#maxRedirects = options.maxRedirects ?? 20;
    this.jar = new CookieJar(undefined, {
      allowSecureOnLocal: true,
      allowSpecialUseDomain: true,
      rejectPublicSuffixes: true,
      prefixSecurity: 'strict',
    });
  }

  /** URL of the page the last navigation ended on; `undefined` before the first one. */
  get location(): string | undefined {
    return this.#location?.href;
  }

  /** Top-level navigation GET (like following a link from the current page): follows redirects. */
  async get(url: string, init: NavigationInit = {}): Promise<Page> {
    const target = new URL(url, this.#location ?? undefined);
    return this.#navigate(target, 'GET', undefined, init.headers ?? {}, this.#location);
  }

  /** One request; follows redirects only when `followRedirects` is true (default false). */
  async request(url: string, init: TestRequestInit = {}): Promise<Page> {
    const headers = new Headers(init.headers);
    let body: string | undefined;
    if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      if (!headers.has('content-type')) {
        headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
      }
    } else {
      body = init.body;
    }
    const hop: Hop = {
      url: new URL(url, this.#location ?? undefined),
      method: (init.method ?? 'GET').toUpperCase(),
      headers,
      body,
    };
    return this.#run(hop, { follow: init.followRedirects ?? false });
  }

  /**
   * Fills the form matching `selector` (default: the first form) on `page` and
   * submits it like a click on its first submit button: hidden inputs are kept,
   * the button's `name`/`value` is sent if it has a name, the request goes to the
   * form's action (resolved against `page.url`) with its method, and redirects
   * are followed.
   *
   * @param values Field values by name; each must name a control of the form.
   * @throws When no form matches, a value names no control, or the form's
   *   `enctype` is not `application/x-www-form-urlencoded`.
   */
  async submitForm(
    page: Page,
    values: Record<string, string> = {},
    selector = 'form',
  ): Promise<Page> {
    const root = parse(page.body);
    const form = root.querySelector(selector);
    if (form === null || form.tagName !== 'FORM') {
      throw new Error(`no form matches "${selector}" on ${page.url}`);
    }
    const controls = formControls(root, form);
    const submitter = controls.find(isSubmitButton);
    const entries = formEntries(controls, submitter);
    const names = new Set(controls.map((control) => control.getAttribute('name')));
    for (const [name, value] of Object.entries(values)) {
      if (!names.has(name)) throw new Error(`the form on ${page.url} has no field named "${name}"`);
      const index = entries.findIndex(([entryName]) => entryName === name);
      if (index === -1) {
        entries.push([name, value]);
        continue;
      }
      entries[index] = [name, value];
      // A filled field has one value: drop the rest of a checkbox group or multi-select.
      for (let i = entries.length - 1; i > index; i--) {
        if (entries[i]?.[0] === name) entries.splice(i, 1);
      }
    }

    const enctype = (form.getAttribute('enctype') ?? '').toLowerCase();
    if (enctype !== '' && enctype !== 'application/x-www-form-urlencoded') {
      throw new Error(`form enctype "${enctype}" is not supported by TestBrowser`);
    }
    const pageUrl = new URL(page.url);
    const action = submitter?.getAttribute('formaction') ?? form.getAttribute('action') ?? '';
    const target = new URL(action === '' ? page.url : action, pageUrl);
    const method = (
      submitter?.getAttribute('formmethod') ??
      form.getAttribute('method') ??
      'get'
    ).toUpperCase();
    const data = new URLSearchParams(entries);

    if (method === 'POST') {
      const headers = {
        'content-type': 'application/x-www-form-urlencoded',
        origin: pageUrl.protocol.startsWith('http') ? pageUrl.origin : 'null',
      };
      return this.#navigate(target, 'POST', data.toString(), headers, pageUrl);
    }
    if (method !== 'GET') {
      throw new Error(`form method "${method}" is not supported by TestBrowser`);
    }
    target.search = data.toString();
    return this.#navigate(target, 'GET', undefined, {}, pageUrl);
  }

  /** The cookies the browser would send to `url` on a same-site request. */
  async cookies(url: string): Promise<Array<{ name: string; value: string }>> {
    const cookies = await this.jar.getCookies(url);
    return cookies.map((cookie) => ({ name: cookie.key, value: cookie.value }));
  }

  async #navigate(
    url: URL,
    method: string,
    body: string | undefined,
    extraHeaders: Record<string, string>,
    initiator: URL | null,
  ): Promise<Page> {
    const headers = new Headers({
      accept: NAVIGATION_ACCEPT,
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
      'sec-fetch-user': '?1',
      'upgrade-insecure-requests': '1',
    });
    for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
    const site = headers.get('sec-fetch-site');
    const navigation = site === null ? { initiator } : { initiator, site };
    const page = await this.#run({ url, method, headers, body }, { follow: true, navigation });
    this.#location = new URL(page.url);
    return page;
  }

  async #run(first: Hop, drive: Drive): Promise<Page> {
    const redirects: string[] = [];
    const chain: URL[] = [];
    let hop = first;
    const requestOrigin = first.headers.get('origin');
    let originTainted = false;
    for (;;) {
      chain.push(hop.url);
      let cookieContext: SameSiteContext | undefined;
      if (drive.navigation) {
        const site = fetchSite(drive.navigation.initiator, chain);
        hop.headers.set('sec-fetch-site', drive.navigation.site ?? site);
        cookieContext = navigationCookieContext(site, hop.method);
        if (originTainted && hop.headers.has('origin')) hop.headers.set('origin', 'null');
      }
      const response = await this.#send(hop, cookieContext);
      const location = response.headers.get('location');
      const isRedirect = [301, 302, 303, 307, 308].includes(response.status);
      if (!drive.follow || !isRedirect || location === null) {
        return makePage(response, hop.url, redirects);
      }
      redirects.push(hop.url.href);
      if (redirects.length > this.#maxRedirects) {
        throw new Error(`more than ${this.#maxRedirects} redirects, starting at ${first.url.href}`);
      }
      const next = new URL(location, hop.url);
      // Fetch (HTTP-redirect fetch): leaving a foreign origin taints the request's Origin.
      if (
        requestOrigin !== null &&
        next.origin !== hop.url.origin &&
        requestOrigin !== hop.url.origin
      ) {
        originTainted = true;
      }
      hop = this.#redirectedHop(hop, next, response.status);
    }
  }

  #redirectedHop(previous: Hop, url: URL, status: number): Hop {
    const headers = new Headers(previous.headers);
    let { method, body } = previous;
    const becomesGet =
      ((status === 301 || status === 302) && method === 'POST') ||
      (status === 303 && method !== 'GET' && method !== 'HEAD');
    if (becomesGet) {
      method = 'GET';
      body = undefined;
      for (const name of BODY_HEADERS) headers.delete(name);
      // Navigations send Origin only with unsafe methods.
      headers.delete('origin');
    }
    if (url.origin !== previous.url.origin) headers.delete('authorization');
    return { url, method, headers, body };
  }

  async #send(hop: Hop, cookieContext: SameSiteContext | undefined): Promise<HttpResponse> {
    const headers = new Headers(hop.headers);
    if (!headers.has('cookie')) {
      const cookie = await this.jar.getCookieString(
        hop.url.href,
        cookieContext === undefined ? {} : { sameSiteContext: cookieContext },
      );
      if (cookie !== '') headers.set('cookie', cookie);
    }
    const response = await exchange(hop.url, hop.method, headers, hop.body);
    for (const watcher of TestBrowser.#watchers)
      watcher({ ...response, url: hop.url, method: hop.method });
    for (const line of response.headers.getSetCookie()) {
      await this.jar.setCookie(line, hop.url.href, { ignoreError: true });
    }
    return response;
  }
}
