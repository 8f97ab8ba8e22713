// #region setup
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ACR_MFA,
  type DevIdp,
  type DevIdpUser,
  defaultUsers,
  latchkeyClient,
  signInAtDevIdp,
  startDevIdp,
} from '@latchkey/dev-idp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CookieAgent } from './agent';
import { createApp } from './app';

let idp: DevIdp;
let server: Server;
let site: string;

beforeAll(async () => {
  // The app's port first: the IdP must know the app's redirect URI.
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site = `http://localhost:${(server.address() as AddressInfo).port}`;
  idp = await startDevIdp({
    clients: [
      {
        ...latchkeyClient(site, 'my-app', 'my-app-secret'),
        id_token_signed_response_alg: 'ES256', // the default is RS256
      },
    ],
    users: [...defaultUsers, carol],
    // 60-second access tokens: latchkey refreshes a token that expires within a minute.
    ttl: { accessToken: 60 },
  });
  const app = createApp({
    issuer: idp.issuer,
    clientId: 'my-app',
    clientSecret: 'my-app-secret',
    baseUrl: site,
    sessionSecret: 'a-test-secret-of-32-characters-or-more',
    // The dev IdP's userinfo endpoint accepts the access token: it stands in for the app's API.
    apiUrl: `${idp.issuer}/me`,
  });
  server.on('request', app);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await idp.stop();
});
// #endregion setup

// #region users
// A user with this app's own role, next to the dev IdP's alice and bob.
const carol: DevIdpUser = {
  username: 'carol',
  password: 'carol-password',
  sub: 'usr_carol',
  claims: { name: 'Carol Example', email: 'carol@example.com', roles: ['auditor'] },
};
// #endregion users

// #region sign-in
/** Signs a user in at the dev IdP from the app's login route; returns the agent and /profile. */
async function signIn(username: string, password: string) {
  const agent = new CookieAgent();
  const login = await agent.get(`${site}/auth/login?returnTo=/profile`);
  const profile = await signInAtDevIdp(agent, login, { username, password });
  return { agent, profile };
}

it('signs alice in and shows her profile', async () => {
  const { profile } = await signIn('alice', 'alice-password');
  expect(profile.url).toBe(`${site}/profile`);
  expect(profile.json()).toEqual({
    sub: 'usr_alice',
    name: 'Alice Example',
    roles: ['admin', 'viewer'],
    acr: 'urn:latchkey:acr:pwd',
  });
});

it('answers 401 without a session', async () => {
  const page = await new CookieAgent().get(`${site}/profile`);
  expect(page.status).toBe(401);
  expect(page.json()).toMatchObject({ error: 'unauthenticated' });
});
// #endregion sign-in

// #region roles
it('lets the auditor carol read the audit log, and refuses alice', async () => {
  const { agent: asCarol } = await signIn('carol', 'carol-password');
  expect((await asCarol.get(`${site}/audit-log`)).status).toBe(200);
  const { agent: asAlice } = await signIn('alice', 'alice-password');
  const refused = await asAlice.get(`${site}/audit-log`);
  expect(refused.status).toBe(403);
  expect(refused.json()).toMatchObject({ error: 'forbidden' });
});
// #endregion roles

// #region step-up
it('asks for the one-time code before a transfer', async () => {
  const { agent } = await signIn('alice', 'alice-password');
  const refused = await agent.get(`${site}/transfer`);
  expect(refused.status).toBe(401);
  expect(refused.headers.get('www-authenticate')).toContain('acr_values="urn:latchkey:acr:mfa"');

  const query = `acr=${encodeURIComponent(ACR_MFA)}&max_age=300&returnTo=/transfer`;
  const codeForm = await agent.get(`${site}/auth/step-up?${query}`);
  // Signed in at the IdP already: only the one-time code form.
  expect(codeForm.body).toContain('id="otp-form"');
  // signInAtDevIdp types the dev IdP's code, 123456, unless given another `otp`.
  const transfer = await signInAtDevIdp(agent, codeForm, {
    username: 'alice',
    password: 'alice-password',
  });
  expect(transfer.url).toBe(`${site}/transfer`);
  expect(transfer.json()).toEqual({ ready: true, acr: ACR_MFA });
});
// #endregion step-up

// #region refresh
it('refreshes the access token once for two requests that need it at the same time', async () => {
  const { agent } = await signIn('alice', 'alice-password');
  idp.grants.length = 0;
  const answers = await Promise.all([agent.get(`${site}/api/me`), agent.get(`${site}/api/me`)]);
  for (const answer of answers) expect(answer.json()).toMatchObject({ sub: 'usr_alice' });
  const refreshes = idp.grants.filter((grant) => grant.grantType === 'refresh_token');
  expect(refreshes).toHaveLength(1);
});
// #endregion refresh

// #region keys
it('keeps signing users in, and refreshing sessions, after the IdP rotates its keys', async () => {
  const before = await signIn('alice', 'alice-password');
  // latchkey fetches the IdP's keys again, at once, for an ID token with a new key id.
  await idp.rotateKeys();
  const after = await signIn('bob', 'bob-password');
  expect(after.profile.json()).toMatchObject({ sub: 'usr_bob' });
  // A session from before the rotation: its refresh brings an ID token signed with the new key.
  expect((await before.agent.get(`${site}/api/me`)).status).toBe(200);
});
// #endregion keys
