import { type DevIdp, signInAtDevIdp, startDevIdp } from '@latchkey/dev-idp';
import { freePort, TestBrowser } from '@latchkey/test-utils';
import { expect, it } from 'vitest';
import type { StartAdapterApp } from '../app';
import { alice, appOptions, testClient } from '../fixtures';

/** An app whose IdP is down at start and comes back later. */
export function idpDownTests(startApp: StartAdapterApp): void {
  it('starts, serves public pages, answers idp_unreachable, and recovers when the IdP is back', async () => {
    const idpPort = await freePort();
    const app = await startApp(appOptions(`http://127.0.0.1:${idpPort}`, { idpTimeout: 1000 }));
    let idp: DevIdp | undefined;
    try {
      expect((await fetch(`${app.url}/`)).status).toBe(200);
      const down = await fetch(`${app.url}/auth/login`, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
      });
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ error: 'idp_unreachable' });
      idp = await startDevIdp({ port: idpPort, clients: [testClient([app])] });
      const browser = new TestBrowser();
      const landed = await signInAtDevIdp(
        browser,
        await browser.get(`${app.url}/auth/login?returnTo=/profile`),
        alice,
      );
      expect(landed.status).toBe(200);
      expect(landed.url).toBe(`${app.url}/profile`);
    } finally {
      await app.stop();
      await idp?.stop();
    }
  });
}
