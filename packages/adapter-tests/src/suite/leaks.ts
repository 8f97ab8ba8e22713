import { type Exchange, TestBrowser } from '@latchkey/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEST_CLIENT, TEST_SECRET } from '../fixtures';
import type { SuiteEnv } from './env';

/** A compact JWT or JWE (a token, or a sealed cookie). */
const JWT = /eyJ[\w-]*\.[\w-]*\.[\w-]*/;

/**
 * Whether `text` shows `value`. A value under 16 characters (a name such as `Bob`) counts only
 * where it stands alone, not where it is part of a longer word: random base64url such as an audit
 * record's MACs holds `Bob` about once in 1,500 records, and a real leak stands alone (`"Bob"`,
 * `Bob Example`). Longer values (cookie values, codes, secrets) count anywhere.
 */
function shows(text: string, value: string): boolean {
  if (value.length >= 16) return text.includes(value);
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w-])${escaped}(?![\\w-])`).test(text);
}

/**
 * What the main app of the suite logged (`debug`) and recorded (`audit`), and every request and
 * answer of the suite's browsers, for {@link leakTests}.
 */
export class LeakWatch {
  readonly lines: string[] = [];
  readonly records: string[] = [];
  readonly exchanges: Exchange[] = [];
  /** The main app's `debug` option. */
  readonly debug = (line: string): void => {
    this.lines.push(line);
  };
  /** The sink of the main app's audit log. */
  readonly audit = (record: string): void => {
    this.records.push(record);
  };
}

/** Every value a browser was given that a log must never show: cookies and authorization codes. */
function givenValues(exchanges: readonly Exchange[]): Set<string> {
  const values = new Set<string>();
  for (const { headers } of exchanges) {
    for (const line of headers.getSetCookie()) {
      const value = line.slice(line.indexOf('=') + 1).split(';')[0]!;
      if (value.length >= 16) values.add(value);
    }
    const location = headers.get('location');
    const code = location && URL.canParse(location) && new URL(location).searchParams.get('code');
    if (code) values.add(code);
  }
  return values;
}

/**
 * Runs last in the main suite: with `debug` on and an audit log, the app went through sign-in,
 * refresh, step-up and sign-out. No line it logged, no audit record and no error it answered holds
 * a JWT, a cookie value, an authorization code, a secret, or a test user's `sub`, email or name.
 */
export function leakTests(env: SuiteEnv, watch: LeakWatch): void {
  let unwatch: (() => void) | undefined;
  beforeAll(() => {
    unwatch = TestBrowser.watch((exchange) => watch.exchanges.push(exchange));
  });
  afterAll(() => unwatch?.());

  it('logs, audits and answers no token, code, cookie, secret or user data (debug on)', () => {
    const events = watch.lines.filter((line) => line.startsWith('event: '));
    for (const step of ['login', 'refresh', 'step_up', 'logout', 'backchannel_logout']) {
      expect(
        events.some((line) => line.startsWith(`event: ${step}`)),
        step,
      ).toBe(true);
    }
    expect(watch.lines.some((line) => line.startsWith('sign-in: authorization redirect'))).toBe(
      true,
    );
    expect(watch.records.length).toBeGreaterThan(10);
    const appOrigin = new URL(env.app.url).origin;
    const errors = watch.exchanges
      .filter((exchange) => exchange.url.origin === appOrigin && exchange.status >= 400)
      .map((exchange) => exchange.body);
    expect(errors.length).toBeGreaterThan(10);
    const given = givenValues(watch.exchanges);
    expect([...given].some((value) => JWT.test(value))).toBe(true); // sealed cookies were seen
    const forbidden = [
      ...given,
      TEST_CLIENT.clientSecret,
      TEST_SECRET,
      ...env.idp.users.flatMap((user) => [
        user.sub,
        ...['email', 'name', 'given_name', 'family_name'].map((claim) =>
          String(user.claims[claim]),
        ),
      ]),
    ];
    for (const [source, texts] of [
      ['debug line', watch.lines],
      ['audit record', watch.records],
      ['error answer', errors],
    ] as const) {
      for (const text of texts) {
        expect(text, source).not.toMatch(JWT);
        for (const value of forbidden) expect(shows(text, value), `${source}: ${text}`).toBe(false);
      }
    }
  });
}
