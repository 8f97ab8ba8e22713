import { createServer, type Server } from 'node:http';
import { type DevIdp, startDevIdp } from '@latchkey/dev-idp';
import { close, listen, type Page, type TestBrowser } from '@latchkey/test-utils';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';

export const CLIENT_ID = 'test-app';
export const CLIENT_SECRET = 'test-app-secret-test-app-secret-0123456789';

/** A stub relying party: a callback page, a logged-out page and a back-channel logout receiver. */
export interface RelyingParty {
  origin: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  backchannelLogoutUri: string;
  /** `logout_token` values received on the back-channel, oldest first. */
  logoutTokens: string[];
  stop(): Promise<void>;
}

export async function startRelyingParty(): Promise<RelyingParty> {
  const logoutTokens: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://rp.invalid');
    if (req.method === 'POST' && url.pathname === '/backchannel') {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (token !== null) logoutTokens.push(token);
        res.setHeader('cache-control', 'no-store');
        res.end();
      });
      return;
    }
    res.setHeader('content-type', 'text/plain');
    res.end(`rp ${url.pathname}`);
  });
  const origin = await listen(server);
  return {
    origin,
    redirectUri: `${origin}/cb`,
    postLogoutRedirectUri: `${origin}/logged-out`,
    backchannelLogoutUri: `${origin}/backchannel`,
    logoutTokens,
    stop: () => close(server),
  };
}

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  return oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, insecure));
}

export const client: oauth.Client = { client_id: CLIENT_ID };
export const clientAuth = oauth.ClientSecretBasic(CLIENT_SECRET);

/** One authorization request in flight. */
export interface Authorization {
  page: Page;
  verifier: string;
  state: string;
  nonce: string;
}

/** Navigates `browser` to the authorization endpoint with PKCE, state and nonce, plus `params`. */
export async function authorize(
  browser: TestBrowser,
  as: oauth.AuthorizationServer,
  redirectUri: string,
  params: Record<string, string> = {},
): Promise<Authorization> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint ?? '');
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  }).toString();
  return { page: await browser.get(url.href), verifier, state, nonce };
}

/** Redeems the code that `callbackUrl` carries; validates the response and ID token claims with oauth4webapi. */
export async function redeem(
  as: oauth.AuthorizationServer,
  callbackUrl: string,
  redirectUri: string,
  flow: Authorization,
  resource?: string,
): Promise<oauth.TokenEndpointResponse> {
  const params = oauth.validateAuthResponse(as, client, new URL(callbackUrl), flow.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth,
    params,
    redirectUri,
    flow.verifier,
    {
      ...insecure,
      ...(resource === undefined ? {} : { additionalParameters: { resource } }),
    },
  );
  return oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: flow.nonce,
    requireIdToken: true,
  });
}

/** Verifies a JWT's signature against the IdP's JWKS (oauth4webapi does not for ID tokens). */
export async function verifyWithJwks(
  as: oauth.AuthorizationServer,
  token: string,
  options: { typ?: string; audience?: string } = {},
): Promise<{ payload: JWTPayload; kid: string | undefined; alg: string; typ: string | undefined }> {
  const jwks = createRemoteJWKSet(new URL(as.jwks_uri ?? ''));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: as.issuer,
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    ...(options.typ === undefined ? {} : { typ: options.typ }),
  });
  return { payload, kid: protectedHeader.kid, alg: protectedHeader.alg, typ: protectedHeader.typ };
}

/** Claims of the ID token in a token response (already validated by oauth4webapi). */
export function idTokenClaims(response: oauth.TokenEndpointResponse): oauth.IDToken {
  const claims = oauth.getValidatedIdTokenClaims(response);
  if (claims === undefined) throw new Error('no ID token in the token response');
  return claims;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A dev IdP with one confidential client whose URIs point at a stub relying party. */
export interface Fixture {
  idp: DevIdp;
  rp: RelyingParty;
  as: oauth.AuthorizationServer;
  stop(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const rp = await startRelyingParty();
  const idp = await startDevIdp({
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [rp.redirectUri],
        post_logout_redirect_uris: [rp.postLogoutRedirectUri],
        backchannel_logout_uri: rp.backchannelLogoutUri,
      },
    ],
  });
  const as = await discover(idp.issuer);
  return {
    idp,
    rp,
    as,
    stop: async () => {
      await idp.stop();
      await rp.stop();
    },
  };
}
