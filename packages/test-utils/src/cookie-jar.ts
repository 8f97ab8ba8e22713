/**
 * A browser's cookies for one origin, for tests that call `latchkey.handle()` or
 * `latchkey.fetch()` without a server: each response's `Set-Cookie` lines are applied (a
 * `Max-Age=0` line deletes), and `header` is the `Cookie` header the next request sends.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Applies the response's `Set-Cookie` lines; returns the response. */
  take(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const name = pair.slice(0, pair.indexOf('='));
      if (/Max-Age=0(;|$)/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(pair.indexOf('=') + 1));
    }
    return response;
  }

  /** The `Cookie` request header. */
  get header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** The names of the cookies held, in the order they were first set. */
  names(): string[] {
    return [...this.cookies.keys()];
  }
}
