import { defaultUsers, startDevIdp } from '@latchkey/dev-idp';
import { createApi } from './api';

/**
 * The demo API. Configured by OIDC_ISSUER, API_AUDIENCE (default urn:latchkey:demo-api) and PORT
 * (default 3001); without OIDC_ISSUER it starts the dev IdP itself. APP_URL and STEP_UP_PUBLIC_KEY
 * (a public JWK, as JSON) trust the site's step-up assertions (its passkey step-ups). OIDC_DPOP=1
 * also takes DPoP-bound tokens.
 */
const port = Number(process.env.PORT ?? 3001);
let issuer = process.env.OIDC_ISSUER;
let stopIdp: (() => Promise<void>) | undefined;
if (!issuer) {
  const idp = await startDevIdp({
    port: Number(process.env.DEV_IDP_PORT ?? 4000),
    hostname: 'localhost',
    clients: [],
  });
  issuer = idp.issuer;
  stopIdp = () => idp.stop();
  console.log(
    `Dev IdP at ${issuer}; users: ${defaultUsers.map((u) => `${u.username}/${u.password}`).join(', ')}`,
  );
}

const { APP_URL, STEP_UP_PUBLIC_KEY, OIDC_DPOP } = process.env;
if (OIDC_DPOP !== undefined && OIDC_DPOP !== '0' && OIDC_DPOP !== '1') {
  console.error(`OIDC_DPOP must be 1 or 0, not '${OIDC_DPOP}'.`);
  process.exit(1);
}
const app = createApi({
  issuer,
  dpop: OIDC_DPOP === '1',
  ...(process.env.API_AUDIENCE ? { audience: process.env.API_AUDIENCE } : {}),
  ...(APP_URL && STEP_UP_PUBLIC_KEY
    ? { stepUpAssertions: { issuer: APP_URL, keys: { keys: [JSON.parse(STEP_UP_PUBLIC_KEY)] } } }
    : {}),
});
await app.listen({ port, host: '127.0.0.1' });
console.log(`latchkey demo API at http://localhost:${port} (issuer ${issuer})`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void app
      .close()
      .then(() => stopIdp?.())
      .then(() => process.exit(0));
  });
}
