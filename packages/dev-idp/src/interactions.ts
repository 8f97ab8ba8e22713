/// <reference path="./oidc-provider.d.ts" />
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InteractionDetails, Provider } from 'oidc-provider';
import { errorPage, loginPage, otpPage } from './pages';
import { ACR_MFA, ACR_PWD, DEV_OTP, type DevIdpUser } from './users';

/** Reason of the login-prompt check that asks for the one-time code (see {@link requiresMfa}). */
export const MFA_REASON = 'latchkey_mfa_required';

/** Largest form body the interaction routes read. */
const MAX_FORM_BYTES = 16 * 1024;

/** What the interaction routes need from the running dev IdP. */
export interface InteractionHost {
  /** The current provider (it changes when keys rotate). */
  provider(): Provider;
  users: readonly DevIdpUser[];
  /** Interaction uid to the account that passed the password step and still owes the one-time code. */
  pendingOtp: Map<string, string>;
}

/** An error the interaction routes answer with a page and a 4xx status. */
class InteractionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Whether `acr_values` asks for the mfa level: it lists `urn:latchkey:acr:mfa`
 * and not the lower `urn:latchkey:acr:pwd` (any listed value is acceptable, so
 * listing both is satisfied by a password).
 */
export function requiresMfa(params: Record<string, unknown>): boolean {
  const values = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
  return values.includes(ACR_MFA) && !values.includes(ACR_PWD);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-frame-options', 'DENY');
  res.end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('location', location);
  res.setHeader('cache-control', 'no-store');
  res.end();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    throw new InteractionError(
      415,
      'invalid_request',
      'Forms must be application/x-www-form-urlencoded.',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES)
      throw new InteractionError(413, 'invalid_request', 'Form too large.');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const now = (): number => Math.floor(Date.now() / 1000);

/**
 * Serves the sign-in pages at `/interaction/:uid` (GET shows the current step,
 * POST `/login`, `/otp` and `/abort` submit it). Resolves once the response is sent.
 */
export async function handleInteraction(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  host: InteractionHost,
): Promise<void> {
  try {
    const match = /^\/interaction\/([\w-]+)(?:\/(login|otp|abort))?$/.exec(pathname);
    if (match === null) throw new InteractionError(404, 'not_found', 'No such page.');
    const [, uid = '', action] = match;
    const expectedMethod = action === undefined ? 'GET' : 'POST';
    if (req.method !== expectedMethod) {
      res.setHeader('allow', expectedMethod);
      throw new InteractionError(405, 'invalid_request', `Use ${expectedMethod} here.`);
    }
    const provider = host.provider();
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) {
      throw new InteractionError(400, 'invalid_request', 'This page belongs to another sign-in.');
    }
    switch (action) {
      case undefined:
        return await showStep(req, res, details, host);
      case 'login':
        return await submitPassword(req, res, details, host);
      case 'otp':
        return await submitOtp(req, res, details, host);
      default:
        host.pendingOtp.delete(uid);
        return await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'End-User aborted the sign-in' },
          { mergeWithLastSubmission: false },
        );
    }
  } catch (error) {
    sendErrorPage(res, error);
  }
}

function sendErrorPage(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof InteractionError) {
    sendHtml(res, error.status, errorPage(error.code, error.message));
    return;
  }
  const oidcError = error as { name?: unknown; error?: unknown; error_description?: unknown };
  if (oidcError.name === 'SessionNotFound') {
    const description =
      'This sign-in has expired or was started in another browser. Go back to the application and sign in again.';
    sendHtml(res, 400, errorPage('session_not_found', description));
    return;
  }
  if (typeof oidcError.error === 'string') {
    const description =
      typeof oidcError.error_description === 'string' ? oidcError.error_description : undefined;
    sendHtml(res, 400, errorPage(oidcError.error, description));
    return;
  }
  console.error('[latchkey dev IdP] interaction failed:', error);
  sendHtml(
    res,
    500,
    errorPage('server_error', 'The dev IdP hit an unexpected error; see its console.'),
  );
}

function userBySub(host: InteractionHost, sub: string | undefined): DevIdpUser | undefined {
  return sub === undefined ? undefined : host.users.find((user) => user.sub === sub);
}

/** True when the only thing missing is the one-time code for the signed-in account. */
function isStepUpOnly(details: InteractionDetails): boolean {
  const { reasons } = details.prompt;
  return (
    details.session?.accountId !== undefined &&
    reasons.length > 0 &&
    reasons.every((reason) => reason === MFA_REASON)
  );
}

async function showStep(
  req: IncomingMessage,
  res: ServerResponse,
  details: InteractionDetails,
  host: InteractionHost,
): Promise<void> {
  if (details.prompt.name === 'consent') return approveConsent(req, res, details, host);
  if (details.prompt.name !== 'login') {
    throw new InteractionError(
      400,
      'interaction_required',
      `Unsupported prompt "${details.prompt.name}".`,
    );
  }
  let pending = userBySub(host, host.pendingOtp.get(details.uid));
  if (pending === undefined && isStepUpOnly(details)) {
    pending = userBySub(host, details.session?.accountId);
    if (pending !== undefined) host.pendingOtp.set(details.uid, pending.sub);
  }
  if (pending !== undefined) {
    sendHtml(res, 200, otpPage({ uid: details.uid, username: pending.username, code: DEV_OTP }));
    return;
  }
  const hint = details.params.login_hint;
  sendHtml(
    res,
    200,
    renderLogin(details, host, typeof hint === 'string' ? { username: hint } : {}),
  );
}

function renderLogin(
  details: InteractionDetails,
  host: InteractionHost,
  extra: { username?: string; error?: string },
): string {
  return loginPage({
    uid: details.uid,
    clientId: String(details.params.client_id ?? ''),
    accounts: host.users,
    ...extra,
  });
}

async function submitPassword(
  req: IncomingMessage,
  res: ServerResponse,
  details: InteractionDetails,
  host: InteractionHost,
): Promise<void> {
  const form = await readForm(req);
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  const user = host.users.find((u) => u.username === username && u.password === password);
  if (user === undefined) {
    const error = 'Invalid username or password';
    sendHtml(res, 401, renderLogin(details, host, { username, error }));
    return;
  }
  if (requiresMfa(details.params)) {
    host.pendingOtp.set(details.uid, user.sub);
    redirect(res, `/interaction/${details.uid}`);
    return;
  }
  host.pendingOtp.delete(details.uid);
  await host.provider().interactionFinished(req, res, {
    login: { accountId: user.sub, acr: ACR_PWD, amr: ['pwd'], ts: now() },
  });
}

async function submitOtp(
  req: IncomingMessage,
  res: ServerResponse,
  details: InteractionDetails,
  host: InteractionHost,
): Promise<void> {
  const user = userBySub(host, host.pendingOtp.get(details.uid));
  if (user === undefined) {
    redirect(res, `/interaction/${details.uid}`);
    return;
  }
  const form = await readForm(req);
  if ((form.get('otp') ?? '').trim() !== DEV_OTP) {
    const page = otpPage({
      uid: details.uid,
      username: user.username,
      code: DEV_OTP,
      error: 'Invalid one-time code',
    });
    sendHtml(res, 401, page);
    return;
  }
  host.pendingOtp.delete(details.uid);
  await host.provider().interactionFinished(req, res, {
    login: { accountId: user.sub, acr: ACR_MFA, amr: ['pwd', 'otp'], ts: now() },
  });
}

/**
 * Registered clients are trusted: an explicit consent prompt (`prompt=consent`,
 * also added by the dev IdP to keep `offline_access`) is approved without a page.
 */
async function approveConsent(
  req: IncomingMessage,
  res: ServerResponse,
  details: InteractionDetails,
  host: InteractionHost,
): Promise<void> {
  const provider = host.provider();
  const accountId = details.session?.accountId;
  const clientId = details.params.client_id;
  if (accountId === undefined || typeof clientId !== 'string') {
    throw new InteractionError(400, 'invalid_request', 'Consent without a signed-in user.');
  }
  const existing =
    details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId);
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  if (typeof details.params.scope === 'string') grant.addOIDCScope(details.params.scope);
  const { missingOIDCClaims, missingResourceScopes } = details.prompt.details;
  if (Array.isArray(missingOIDCClaims)) grant.addOIDCClaims(missingOIDCClaims.map(String));
  if (missingResourceScopes !== null && typeof missingResourceScopes === 'object') {
    for (const [resource, scopes] of Object.entries(missingResourceScopes)) {
      if (Array.isArray(scopes)) grant.addResourceScope(resource, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } });
}
