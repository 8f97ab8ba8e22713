import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { startDemo } from '@latchkey/demo-express';
import { createApi } from '@latchkey/demo-fastify';
import { type DevIdp, latchkeyClient, startDevIdp } from '@latchkey/dev-idp';
import { freePort } from '@latchkey/test-utils';

/** The demo as `npm run demo` runs it, in this process on free loopback ports. */
export interface Stack {
  /** demo-express, serving the React app: `http://localhost:<port>`. */
  site: string;
  /** The dev IdP's issuer: `http://localhost:<port>`. */
  issuer: string;
  idp: DevIdp;
  stop(): Promise<void>;
}

/**
 * One dev IdP, demo-fastify's API and demo-express pointed at both. Every URL uses `localhost`,
 * as in the demo: browsers give cookies and WebAuthn to host names, not to IP addresses.
 */
export async function startStack(): Promise<Stack> {
  const port = await freePort();
  const site = `http://localhost:${port}`;
  const client = { id: 'latchkey-e2e', secret: randomBytes(16).toString('base64url') };
  // As in `npm run demo`: the site signs step-up assertions that the API trusts.
  const stepUpKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const idp = await startDevIdp({
    hostname: 'localhost',
    clients: [latchkeyClient(site, client.id, client.secret)],
  });
  const stops: Array<() => Promise<unknown>> = [() => idp.stop()];
  const stop = async () => {
    for (const step of stops.reverse()) await step();
  };
  try {
    const api = createApi({
      issuer: idp.issuer,
      stepUpAssertions: {
        issuer: site,
        keys: { keys: [stepUpKey.publicKey.export({ format: 'jwk' })] },
      },
    });
    await api.listen({ port: 0, host: '127.0.0.1' });
    stops.push(() => api.close());
    const apiPort = (api.server.address() as AddressInfo).port;
    const demo = await startDemo({
      PORT: String(port),
      APP_BASE_URL: site,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: client.id,
      OIDC_CLIENT_SECRET: client.secret,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      API_URL: `http://localhost:${apiPort}`,
      STEP_UP_ASSERTION_KEY: JSON.stringify(stepUpKey.privateKey.export({ format: 'jwk' })),
    });
    stops.push(() => demo.stop());
    if (demo.warnings.length > 0) throw new Error(`demo-express: ${demo.warnings.join(' ')}`);
    return { site, issuer: idp.issuer, idp, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
