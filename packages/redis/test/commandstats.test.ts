import { startRedisServer } from '@latchkey/test-utils';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisRevocationList, RedisSessionStore } from '../src/index';
import { adminClient, commandCalls, commandsSent, layout } from './support';

// A private server: CONFIG RESETSTAT must not disturb anyone else's statistics.
const server = await startRedisServer();

describe.skipIf(!server)('commands sent (INFO commandstats of a private Redis)', () => {
  let admin: Redis;
  let store: RedisSessionStore;
  let revocations: RedisRevocationList;

  beforeAll(async () => {
    admin = adminClient(server!.url);
    store = new RedisSessionStore({ url: server!.url });
    revocations = new RedisRevocationList({ url: server!.url });
    await Promise.all([store.get('warm-up'), revocations.markSeen('warm-up', 60)]);
  });
  afterAll(async () => {
    await Promise.all([store?.close(), revocations?.close(), admin?.quit()]);
    await server?.stop();
  });
  beforeEach(async () => {
    await admin.config('RESETSTAT');
  });

  it('destroyBy of 1,000 sessions reads one index: no SCAN, no KEYS, within a second', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
    for (let i = 0; i < ids.length; i += 100) {
      await Promise.all(
        ids
          .slice(i, i + 100)
          .map((id) =>
            store.set(id, { sub: 'bulk-user', idpSid: `idp-${id}`, data: { sid: id } }, 600),
          ),
      );
    }
    await store.set('bystander', { sub: 'someone-else', data: {} }, 600);
    await admin.config('RESETSTAT');

    let ended = 0;
    const started = performance.now();
    const sent = await commandsSent(async () => {
      ended = await store.destroyBy({ sub: 'bulk-user' });
    });
    const elapsed = performance.now() - started;
    expect(ended).toBe(1000);
    // The index with its scores; one script per session (each in its own Cluster slot); the
    // index entries removed, from this index in one ZREM and from each IdP session's.
    expect(sent[0]).toBe('zrange');
    expect(sent.filter((command) => command === 'evalsha')).toHaveLength(1000);
    expect(sent.filter((command) => command === 'zrem')).toHaveLength(1001);
    expect(sent).toHaveLength(2002);

    // commandstats also counts what scripts run: neither the client nor a script scans.
    const calls = await commandCalls(admin);
    expect(calls.scan).toBeUndefined();
    expect(calls.keys).toBeUndefined();
    expect(calls.zrange).toBe(1);
    expect(elapsed).toBeLessThan(1000);
    expect(await admin.dbsize()).toBeGreaterThan(1000); // the ended markers, the bystander, ...
    const keys = layout('latchkey:');
    expect(await admin.exists(keys.bySub('bulk-user'), keys.bySid('idp-bulk-0'))).toBe(0);
    expect(await store.get('bystander')).toBeDefined();
  });

  it('get is one GET, and isRevoked one GET per entry sent together', async () => {
    expect(await commandsSent(() => store.get('some-session'))).toEqual(['get']);
    const subject = { sessionId: 's', sub: 'u', idpSid: 'i', createdAt: Date.now() };
    expect(await commandsSent(() => revocations.isRevoked(subject))).toEqual(['get', 'get', 'get']);
  });

  it('sends what each operation needs and no more', async () => {
    let release: (() => Promise<void>) | undefined;
    const operations: Array<[() => Promise<unknown>, string[]]> = [
      // Its two indexes, then the session.
      [
        () => store.set('one', { sub: 'u', idpSid: 'i', data: {} }, 60),
        ['evalsha', 'evalsha', 'evalsha'],
      ],
      // The session, then its two index entries.
      [() => store.destroy('one'), ['evalsha', 'zrem', 'zrem']],
      [() => store.markSeen('jti', 60), ['set']],
      [() => store.forgetSeen('jti'), ['del']],
      [async () => (release = await store.lock('l', 1000)), ['set']],
      [() => release!(), ['evalsha']],
      [() => revocations.revoke({ sub: 'u' }, Date.now(), 60), ['evalsha']],
      [() => revocations.markSeen('jti-2', 60), ['set']],
    ];
    for (const [operation, commands] of operations) {
      expect(await commandsSent(operation)).toEqual(commands);
    }
  });

  it('after Redis forgot the scripts, a call costs one more round trip per script, once', async () => {
    await admin.script('FLUSH');
    const set = () => store.set('two', { sub: 'u', data: {} }, 60);
    // NOSCRIPT, then EVAL: for the index, then for the session.
    expect(await commandsSent(set)).toEqual(['evalsha', 'eval', 'evalsha', 'eval']);
    expect(await commandsSent(set)).toEqual(['evalsha', 'evalsha']);
  });

  it('loads its scripts on every connection, so a restarted Redis costs no extra round trip', async () => {
    await admin.script('FLUSH');
    store.client.disconnect(true); // what a restart of Redis looks like to the client
    await new Promise((resolve) => store.client.once('ready', resolve));
    // The scripts went out on 'ready', ahead of any later command on the same connection.
    expect(await commandsSent(() => store.destroy('none'))).toEqual(['evalsha']);
  });
});
