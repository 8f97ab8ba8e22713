import { DEV_OTP } from './users';

/** The page shape {@link signInAtDevIdp} needs (a `Page` of `@latchkey/test-utils` fits). */
export interface SignInPage {
  /** URL of the page, after any redirects. */
  url: string;
  /** HTTP status of the page's response. */
  status: number;
  /** The page's HTML, searched for the dev IdP's sign-in forms and errors. */
  body: string;
}

/** A browser-like agent that can submit forms (`TestBrowser` of `@latchkey/test-utils` fits). */
export interface FormSubmitter<P extends SignInPage> {
  /**
   * Fills the form matching `selector` (default: the first) on `page` with `values`, submits it and
   * follows redirects; resolves the page it ends on.
   */
  submitForm(page: P, values?: Record<string, string>, selector?: string): Promise<P>;
}

/** Credentials for {@link signInAtDevIdp}; `otp` defaults to {@link DEV_OTP}. */
export interface DevIdpCredentials {
  /** What the user types in the sign-in form (a {@link DevIdpUser}'s `username`). */
  username: string;
  /** The user's password. */
  password: string;
  /** The one-time code, asked only when the sign-in requests acr mfa. Default {@link DEV_OTP}. */
  otp?: string;
}

/** More steps than a sign-in can take (password, code, an account switch). */
const MAX_STEPS = 8;

/** oidc-provider's pages that submit their form from a script. */
const AUTO_SUBMIT = /document\.forms\[0\]\.submit\(\)/;

function errorText(body: string): string | undefined {
  const match = /id="error"[^>]*>([\s\S]*?)<\/p>/.exec(body);
  return match?.[1]?.replace(/<[^>]+>/g, '').trim();
}

/**
 * Completes the dev IdP's sign-in pages shown on `page`: fills the password
 * form, then the one-time-code form when the request asked for acr mfa, and
 * returns the first page that is no longer a dev IdP sign-in step (usually the
 * application's page after its callback). A `page` that shows no sign-in form is
 * returned as is (the IdP session was enough).
 *
 * @throws When the IdP rejects the password or the code, or shows an error page.
 */
export async function signInAtDevIdp<P extends SignInPage>(
  browser: FormSubmitter<P>,
  page: P,
  user: DevIdpCredentials,
): Promise<P> {
  let current = page;
  let idpOrigin: string | undefined;
  for (let step = 0; step < MAX_STEPS; step += 1) {
    const isLogin = current.body.includes('id="login-form"');
    const isOtp = current.body.includes('id="otp-form"');
    if (isLogin || isOtp) idpOrigin ??= new URL(current.url).origin;
    const error = errorText(current.body);
    if (error !== undefined && (isLogin || isOtp) && step > 0) {
      throw new Error(`the dev IdP rejected the sign-in of "${user.username}": ${error}`);
    }
    if (isLogin) {
      const credentials = { username: user.username, password: user.password };
      current = await browser.submitForm(current, credentials, '#login-form');
    } else if (isOtp) {
      current = await browser.submitForm(current, { otp: user.otp ?? DEV_OTP }, '#otp-form');
    } else if (new URL(current.url).origin === idpOrigin && AUTO_SUBMIT.test(current.body)) {
      // oidc-provider's self-submitting form (e.g. ending the previous user's IdP
      // session when another one signs in): what a browser's JavaScript would do.
      current = await browser.submitForm(current);
    } else {
      if (current.body.includes('latchkey dev IdP') && error !== undefined) {
        throw new Error(`the dev IdP answered ${current.status} at ${current.url}: ${error}`);
      }
      return current;
    }
  }
  throw new Error(
    `signing in "${user.username}" at the dev IdP did not finish in ${MAX_STEPS} steps`,
  );
}
