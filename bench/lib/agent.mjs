// A minimal browser stand-in for signing in once through the dev IdP: follows redirects, keeps
// cookies per origin (with their Path), and submits HTML forms. Enough for
// `signInAtDevIdp(agent, page, user)` and the relying parties' login and callback routes.

/** @typedef {{ url: string, status: number, body: string }} Page */

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** @param {string} text */
const decodeEntities = (text) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** @param {string} tag @param {string} name */
function attribute(tag, name) {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  if (!match) return undefined;
  return decodeEntities(match[1] ?? match[2] ?? match[3] ?? '');
}

export class Agent {
  /** @type {Map<string, Map<string, { value: string, path: string }>>} origin -> cookies */
  jars = new Map();

  /** @param {string} origin */
  jar(origin) {
    let jar = this.jars.get(origin);
    if (!jar) {
      jar = new Map();
      this.jars.set(origin, jar);
    }
    return jar;
  }

  /**
   * The `Cookie` header this agent sends to `url`, optionally only the cookies `keep` accepts.
   * @param {string} url @param {(name: string) => boolean} [keep]
   */
  cookieHeader(url, keep = () => true) {
    const { origin, pathname } = new URL(url);
    const parts = [];
    for (const [name, cookie] of this.jar(origin)) {
      if (keep(name) && pathname.startsWith(cookie.path)) parts.push(`${name}=${cookie.value}`);
    }
    return parts.join('; ');
  }

  /** @param {URL} url @param {string[]} lines */
  store(url, lines) {
    const jar = this.jar(url.origin);
    for (const line of lines) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = '/';
      let expired = value === '';
      for (const raw of attributes) {
        const [key, ...rest] = raw.trim().split('=');
        const attributeValue = rest.join('=');
        const lower = key.toLowerCase();
        if (lower === 'path' && attributeValue.startsWith('/')) path = attributeValue;
        if (lower === 'max-age' && Number(attributeValue) <= 0) expired = true;
        if (lower === 'expires' && Date.parse(attributeValue) <= Date.now()) expired = true;
      }
      if (expired) jar.delete(name);
      else jar.set(name, { value, path });
    }
  }

  /**
   * One navigation: follows redirects like a browser (POST becomes GET on 301/302/303).
   * @param {string} url @param {{ method?: string, body?: URLSearchParams }} [init]
   * @returns {Promise<Page>}
   */
  async navigate(url, init = {}) {
    let target = new URL(url);
    let method = init.method ?? 'GET';
    let body = init.body;
    for (let hop = 0; hop < 20; hop++) {
      /** @type {Record<string, string>} */
      const headers = { accept: 'text/html', 'user-agent': 'latchkey-bench' };
      const cookie = this.cookieHeader(target.href);
      if (cookie) headers.cookie = cookie;
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(target, {
        method,
        headers,
        body: body?.toString(),
        redirect: 'manual',
      });
      this.store(target, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (REDIRECTS.has(response.status) && location) {
        await response.arrayBuffer();
        if (response.status !== 307 && response.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        target = new URL(location, target);
        continue;
      }
      return { url: target.href, status: response.status, body: await response.text() };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** @param {string} url */
  get(url) {
    return this.navigate(url);
  }

  /**
   * Submits the form matching `selector` (`#id`) or the first form of the page, with its
   * hidden inputs and first named button, overridden by `values`.
   * @param {Page} page @param {Record<string, string>} [values] @param {string} [selector]
   */
  submitForm(page, values = {}, selector) {
    const forms = [...page.body.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)].map((m) => m[0]);
    const id = selector?.startsWith('#') ? selector.slice(1) : undefined;
    const form = id
      ? forms.find(
          (candidate) => attribute(candidate.slice(0, candidate.indexOf('>')), 'id') === id,
        )
      : forms[0];
    if (!form) throw new Error(`no form ${selector ?? ''} on ${page.url} (status ${page.status})`);
    const open = form.slice(0, form.indexOf('>'));
    const fields = new URLSearchParams();
    for (const [tag] of form.matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(tag, 'name');
      if (name && !(name in values)) fields.append(name, attribute(tag, 'value') ?? '');
    }
    const button = /<button\b[^>]*\sname=[^>]*>/i.exec(form)?.[0];
    const buttonName = button && attribute(button, 'name');
    if (buttonName && !(buttonName in values))
      fields.append(buttonName, attribute(button, 'value') ?? '');
    for (const [name, value] of Object.entries(values)) fields.set(name, value);
    const action = new URL(attribute(open, 'action') || page.url, page.url).href;
    const method = (attribute(open, 'method') ?? 'GET').toUpperCase();
    if (method === 'GET') {
      const target = new URL(action);
      target.search = fields.toString();
      return this.navigate(target.href);
    }
    return this.navigate(action, { method, body: fields });
  }
}
