import { randomUUID } from 'node:crypto';
import { DEV_OTP, signInAtDevIdp } from '@latchkey/dev-idp';
import { RedisSessionStore } from '@latchkey/redis';
import {
  freePort,
  redisUrlForTests,
  SoftwareAuthenticator,
  TestBrowser,
} from '@latchkey/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../src/demo';

const url = await redisUrlForTests();

describe.skipIf(!url)('demo-express with REDIS_URL', () => {
  const prefix = `demo-test-${randomUUID()}:`;
  const demos: Demo[] = [];
  // Only reads and removes the demo's keys.
  const redis = url ? new RedisSessionStore({ url, prefix }) : undefined;
  afterAll(async () => {
    await Promise.all(demos.map((demo) => demo.stop()));
    if (!redis) return;
    const keys = await redis.client.keys(`${prefix}*`);
    if (keys.length > 0) await redis.client.del(...keys);
    await redis.close();
  });

  it('keeps sessions and passkeys in Redis under REDIS_PREFIX, shared by a second instance', async () => {
    // Two instances of one site: the first's URL is the site's, the second listens elsewhere.
    const [port, otherPort] = [await freePort(), await freePort()];
    const site = `http://localhost:${port}`;
    const other = `http://localhost:${otherPort}`;
    const env = {
      SESSION_SECRET: 'demo-test-secret-demo-test-secret-0012',
      REDIS_URL: url,
      REDIS_PREFIX: prefix,
    };
    const first = await startDemo({ ...env, PORT: String(port), DEV_IDP_PORT: '0' });
    demos.push(first);
    const second = await startDemo({
      ...env,
      PORT: String(otherPort),
      APP_BASE_URL: site,
      OIDC_ISSUER: first.issuer,
    });
    demos.push(second);
    expect(first.redis).toEqual({ host: expect.stringMatching(/^[^@/]+:\d+$/), prefix });

    const browser = new TestBrowser();
    const profile = await signInAtDevIdp(
      browser,
      await browser.get(`${site}/auth/login?returnTo=/profile`),
      { username: 'alice', password: 'alice-password' },
    );
    expect(profile.url).toBe(`${site}/profile`);
    const keys = await redis!.client.keys(`${prefix}*`);
    expect(keys.filter((key) => key.startsWith(`${prefix}session:`))).toHaveLength(1);

    // The second instance finds the session the first made.
    const session = await browser.request(`${other}/auth/session`, {
      headers: { accept: 'application/json' },
    });
    expect(session.status).toBe(200);
    expect(session.json()).toMatchObject({ authenticated: true, user: { sub: 'usr_alice' } });

    // Adding a passkey needs a recent one-time code; its challenge, made by one instance, is
    // answered at the other, and the first lists the passkey.
    await browser.submitForm(await browser.get(`${site}/transfer`), { otp: DEV_OTP });
    const call = (at: string, method: string, path: string, body?: unknown) =>
      browser.request(`${at}/auth/passkeys${path}`, {
        method,
        headers: { accept: 'application/json', origin: site, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const options = await call(site, 'POST', '/register/options');
    expect(options.status).toBe(200);
    const device = new SoftwareAuthenticator({ origin: site });
    const registered = await call(
      other,
      'POST',
      '/register/verify',
      device.register(options.json()),
    );
    expect(registered.status).toBe(201);
    expect((await call(site, 'GET', '')).json()).toEqual([registered.json()]);
    expect(await redis!.client.keys(`${prefix}passkey-user:*`)).toHaveLength(1);
  });
});

describe('demo-express REDIS_URL', () => {
  it('refuses a REDIS_URL that is not a redis:// URL, without echoing it', async () => {
    await expect(
      startDemo({ PORT: '0', DEV_IDP_PORT: '0', REDIS_URL: 'http://user:hunter2@localhost' }),
    ).rejects.toThrow(
      'REDIS_URL must be a redis:// or rediss:// URL such as redis://localhost:6379.',
    );
  });
});
