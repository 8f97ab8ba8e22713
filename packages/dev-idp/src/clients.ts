import type { DevIdpClient } from './dev-idp';

/** Where latchkey's routes are by default (`basePath` `/auth`), below an app's base URL. */
const CALLBACK_PATH = '/auth/callback';
const BACKCHANNEL_LOGOUT_PATH = '/auth/backchannel-logout';
const SIGNED_OUT_PATH = '/auth/signed-out';

/**
 * The URIs a latchkey app at `siteUrl` uses with its default routes: the callback, where the IdP
 * sends users back after sign-out (the signed-out route, and the home page `/` for an app that
 * turned that route off), and back-channel logout.
 */
export function latchkeyUris(siteUrl: string): {
  redirectUri: string;
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string;
} {
  return {
    redirectUri: `${siteUrl}${CALLBACK_PATH}`,
    postLogoutRedirectUris: [`${siteUrl}${SIGNED_OUT_PATH}`, `${siteUrl}/`],
    backchannelLogoutUri: `${siteUrl}${BACKCHANNEL_LOGOUT_PATH}`,
  };
}

/**
 * The base URL of the latchkey app whose default callback route is `redirectUri`
 * (`http://localhost:3000/auth/callback` gives `http://localhost:3000`); `undefined` when
 * `redirectUri` is not at `<base URL>/auth/callback`.
 */
export function latchkeySiteOf(redirectUri: string): string | undefined {
  const url = new URL(redirectUri);
  if (url.search !== '' || url.hash !== '' || !url.pathname.endsWith(CALLBACK_PATH)) {
    return undefined;
  }
  return `${url.origin}${url.pathname.slice(0, -CALLBACK_PATH.length)}`;
}

/**
 * The registration of a latchkey app at `siteUrl` with its default routes: the callback, the
 * signed-out route (and the home page) after sign-out, and back-channel logout.
 */
export function latchkeyClient(
  siteUrl: string,
  clientId: string,
  clientSecret: string,
): DevIdpClient {
  const uris = latchkeyUris(siteUrl);
  return {
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [uris.redirectUri],
    post_logout_redirect_uris: uris.postLogoutRedirectUris,
    backchannel_logout_uri: uris.backchannelLogoutUri,
  };
}
