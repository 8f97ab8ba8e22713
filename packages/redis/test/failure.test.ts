import { startRedisServer } from '@latchkey/test-utils';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { RedisRevocationList, RedisSessionStore, RedisUnavailableError } from '../src/index';
import { adminClient, sleep } from './support';

const server = await startRedisServer();

const PASSWORD = 's3cret-redis-password';

/** Runs `call`, which must reject; resolves the error and how long the rejection took. */
async function timedFailure(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await call();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error('the call succeeded while Redis was away');
}

/** Polls `call` every 50 ms until it resolves; resolves how long that took. */
async function timeToSuccess(call: () => Promise<unknown>, limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      await call();
      return performance.now() - started;
    } catch (error) {
      if (performance.now() - started > limitMs) throw error;
      await sleep(50);
    }
  }
}

describe.skipIf(!server)('when Redis goes away (a private redis-server)', () => {
  const url = `redis://latchkey:${PASSWORD}@127.0.0.1:${server?.port}`;
  const unhandled: unknown[] = [];
  const recordUnhandled = (error: unknown) => void unhandled.push(error);
  const reported: Error[] = [];
  let admin: Redis;
  let store: RedisSessionStore;
  let revocations: RedisRevocationList;
  let consoleError: MockInstance<typeof console.error>;
  let consoleWarn: MockInstance<typeof console.warn>;

  /** A Redis user with a password, so the tests can check that it never shows in a message. */
  async function createUser(): Promise<void> {
    admin?.disconnect();
    admin = adminClient(server!.url);
    await admin.call('ACL', 'SETUSER', 'latchkey', 'on', `>${PASSWORD}`, '~*', '&*', '+@all');
  }

  /** Every store method, each to be called once. */
  const everyMethod = (): Array<[string, () => Promise<unknown>]> => [
    ['get', () => store.get('s1')],
    ['set', () => store.set('s2', { sub: 'u', data: {} }, 60)],
    ['destroy', () => store.destroy('s1')],
    ['destroyBy sub', () => store.destroyBy({ sub: 'u' })],
    ['destroyBy idpSid', () => store.destroyBy({ idpSid: 'i' })],
    ['lock', () => store.lock('l', 1000)],
    ['markSeen', () => store.markSeen('jti', 60)],
    ['forgetSeen', () => store.forgetSeen('jti')],
    ['revoke', () => revocations.revoke({ sub: 'u' }, Date.now(), 60)],
    [
      'isRevoked',
      () => revocations.isRevoked({ sessionId: 's', sub: 'u', idpSid: 'i', createdAt: 0 }),
    ],
    ['revocations markSeen', () => revocations.markSeen('jti', 60)],
    ['revocations forgetSeen', () => revocations.forgetSeen('jti')],
  ];

  /** Every method rejects with RedisUnavailableError, in under a second, saying nothing secret. */
  async function expectEveryMethodToFailFast(): Promise<void> {
    for (const [name, call] of everyMethod()) {
      const { error, ms } = await timedFailure(call);
      expect(ms, name).toBeLessThan(1000);
      expect(error, name).toBeInstanceOf(RedisUnavailableError);
      expect((error as Error).message).toMatch(/^Redis is unavailable \(.+\)/);
      expect(
        JSON.stringify({
          message: (error as Error).message,
          cause: String((error as Error).cause),
        }),
      ).not.toMatch(/s3cret|redis:\/\//);
    }
  }

  beforeAll(async () => {
    process.on('uncaughtException', recordUnhandled);
    process.on('unhandledRejection', recordUnhandled);
    consoleError = vi.spyOn(console, 'error');
    consoleWarn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await createUser();
    store = new RedisSessionStore({ url, onError: (error) => void reported.push(error) });
    revocations = new RedisRevocationList({ url }); // reports with console.warn
  });
  afterAll(async () => {
    process.off('uncaughtException', recordUnhandled);
    process.off('unhandledRejection', recordUnhandled);
    consoleError?.mockRestore();
    consoleWarn?.mockRestore();
    await Promise.all([store?.close(), revocations?.close()]);
    admin?.disconnect();
    await server?.stop();
  });

  it('works while Redis is up', async () => {
    await store.set('s1', { sub: 'u', idpSid: 'i', data: { sid: 's1' } }, 60);
    expect(await store.get('s1')).toBeDefined();
    expect(
      await revocations.isRevoked({ sessionId: 's1', sub: 'u', idpSid: 'i', createdAt: 0 }),
    ).toBe(false);
  });

  it('fails every method within 1 s once Redis stopped, without an unhandled error', async () => {
    await server!.stop();
    await expectEveryMethodToFailFast();
    await sleep(1500); // several reconnection attempts later, still failing fast
    await expectEveryMethodToFailFast();
    expect(reported.length).toBeGreaterThan(0); // the store's onError heard of it
    expect(consoleWarn).toHaveBeenCalledTimes(1); // the revocation list's default: once per outage
    expect(String(consoleWarn.mock.calls[0]?.[0])).toMatch(/Redis connection failed/);
    expect(unhandled).toEqual([]);
  });

  it('answers again within 5 s of Redis coming back (even while its password is refused)', async () => {
    await server!.restart();
    const restarted = performance.now();
    // For a moment the fresh server refuses the password: calls keep failing fast meanwhile.
    await sleep(300);
    await expectEveryMethodToFailFast();
    await createUser();
    await timeToSuccess(() => store.get('s1'), 5000);
    await timeToSuccess(
      () => revocations.isRevoked({ sessionId: 's', sub: 'u', idpSid: undefined, createdAt: 0 }),
      5000,
    );
    expect(performance.now() - restarted).toBeLessThan(5000);
    expect(await store.get('s1')).toBeUndefined(); // the private server keeps no data
    await store.set('s3', { sub: 'u', data: {} }, 60);
    expect(await store.get('s3')).toBeDefined();
    expect(unhandled).toEqual([]);
  });

  it('fails a call within about 1 s when Redis hangs, and recovers after', async () => {
    await admin.call('CLIENT', 'PAUSE', '2500', 'ALL');
    const paused = performance.now();
    const { error, ms } = await timedFailure(() => store.get('s3'));
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(1500);
    expect((error as Error).message).toMatch(/Redis is unavailable \(command timed out\)/);
    await timeToSuccess(() => store.get('s3'), 5000);
    expect(performance.now() - paused).toBeLessThan(5000);
    expect(unhandled).toEqual([]);
  });

  it('a store created while Redis is down fails fast, then connects when it is up', async () => {
    await server!.stop();
    const late = new RedisSessionStore({ url, onError: () => {} });
    try {
      const { error, ms } = await timedFailure(() => late.get('s3'));
      expect(ms).toBeLessThan(1000);
      expect(error).toBeInstanceOf(RedisUnavailableError);
      await server!.restart();
      await createUser();
      expect(await timeToSuccess(() => late.get('s3'), 5000)).toBeLessThan(5000);
    } finally {
      await late.close();
    }
    expect(unhandled).toEqual([]);
  });

  it('never printed an unhandled ioredis error or a secret', () => {
    const printed = [...consoleError.mock.calls, ...consoleWarn.mock.calls].flat().map(String);
    expect(printed.filter((line) => line.includes('Unhandled error event'))).toEqual([]);
    expect(printed.join('\n')).not.toContain(PASSWORD);
    expect(reported.map((error) => error.message).join('\n')).not.toContain(PASSWORD);
  });
});
