/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:22rem;margin:4rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 1rem}label{display:block;margin:.75rem 0 .25rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1rem;width:100%;padding:.6rem;font-size:1rem;background:#2457d6;color:#fff;border:0;border-radius:4px;cursor:pointer}
button.secondary{background:#e4e7ee;color:#1d2330}.error{color:#b00020;font-weight:600}
.hint{font-size:.85rem;color:#555}code{background:#eef;padding:0 .25rem}table{font-size:.85rem;margin-top:.5rem}
.badge{font-size:.75rem;color:#555;text-transform:uppercase;letter-spacing:.05em}`;

/** A complete HTML page for the dev IdP; `body` must already be escaped. */
export function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · latchkey dev IdP</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="badge">latchkey dev IdP</p>
${body}
</main>
</body>
</html>`;
}

function errorLine(error: string | undefined): string {
  return error === undefined
    ? ''
    : `<p class="error" id="error" role="alert">${escapeHtml(error)}</p>`;
}

/** A form that abandons the sign-in and returns `access_denied` to the client. */
function cancelForm(uid: string): string {
  return `<form id="cancel-form" method="post" action="/interaction/${escapeHtml(uid)}/abort">
<button type="submit" class="secondary">Cancel</button>
</form>`;
}

/** The password form: inputs `username` and `password`, posted to `/interaction/:uid/login`. */
export function loginPage(options: {
  uid: string;
  clientId: string;
  username?: string;
  error?: string;
  accounts: ReadonlyArray<{ username: string; password: string }>;
}): string {
  const rows = options.accounts
    .map(
      (a) =>
        `<tr><td><code>${escapeHtml(a.username)}</code></td><td><code>${escapeHtml(a.password)}</code></td></tr>`,
    )
    .join('');
  return layout(
    'Sign in',
    `<h1>Sign in to ${escapeHtml(options.clientId)}</h1>
${errorLine(options.error)}
<form id="login-form" method="post" action="/interaction/${escapeHtml(options.uid)}/login">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(options.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
${cancelForm(options.uid)}
<details class="hint"><summary>Test accounts</summary><table>${rows}</table></details>`,
  );
}

/** The one-time code form: input `otp`, posted to `/interaction/:uid/otp`. Shows the dev code. */
export function otpPage(options: {
  uid: string;
  username: string;
  code: string;
  error?: string;
}): string {
  return layout(
    'One-time code',
    `<h1>Confirm it is you, ${escapeHtml(options.username)}</h1>
${errorLine(options.error)}
<form id="otp-form" method="post" action="/interaction/${escapeHtml(options.uid)}/otp">
<label for="otp">One-time code</label>
<input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" required autofocus>
<button type="submit">Verify</button>
</form>
<p class="hint">Development code: <code id="dev-otp">${escapeHtml(options.code)}</code></p>
${cancelForm(options.uid)}`,
  );
}

/** An error page: the OAuth error code and its description, never a stack trace. */
export function errorPage(error: string, description?: string): string {
  return layout(
    'Error',
    `<h1>Something went wrong</h1>
<p class="error" id="error" role="alert"><code>${escapeHtml(error)}</code></p>
${description === undefined ? '' : `<p>${escapeHtml(description)}</p>`}`,
  );
}

/**
 * The RP-initiated logout confirmation. `form` is oidc-provider's hidden form
 * (`id="op.logoutForm"`, with its `xsrf` input); the buttons sit inside it, the
 * first one (`logout=yes`) ends the whole IdP session.
 */
export function logoutPage(form: string, host: string): string {
  const buttons = `<button type="submit" name="logout" value="yes" autofocus>Yes, sign me out</button>
<button type="submit" class="secondary">No, stay signed in</button>`;
  const withButtons = form.replace('</form>', `${buttons}</form>`);
  return layout('Sign out', `<h1>Sign out of ${escapeHtml(host)}?</h1>\n${withButtons}`);
}

/** Shown after a logout when the client gave no `post_logout_redirect_uri`. */
export function logoutSuccessPage(): string {
  return layout('Signed out', '<h1>You are signed out</h1><p>You can close this window.</p>');
}
