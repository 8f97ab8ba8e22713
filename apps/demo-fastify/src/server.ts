import { defaultUsers, startDevIdp } from '@latchkey/dev-idp';
import { createApi } from './api';

/**
 * The demo API. Configured by OIDC_ISSUER, API_AUDIENCE (default urn:latchkey:demo-api) and PORT
 * (default 3001); without OIDC_ISSUER it starts the dev IdP itself.
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

const app = createApi({
  issuer,
  ...(process.env.API_AUDIENCE ? { audience: process.env.API_AUDIENCE } : {}),
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
