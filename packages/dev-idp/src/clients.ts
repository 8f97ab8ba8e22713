import type { DevIdpClient } from './dev-idp';

/**
 * The registration of a latchkey app at `siteUrl` with its default routes: the callback, the
 * home page after sign-out, and back-channel logout.
 */
export function latchkeyClient(
  siteUrl: string,
  clientId: string,
  clientSecret: string,
): DevIdpClient {
  return {
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [`${siteUrl}/auth/callback`],
    post_logout_redirect_uris: [`${siteUrl}/`],
    backchannel_logout_uri: `${siteUrl}/auth/backchannel-logout`,
  };
}
