import { randomBytes } from 'node:crypto';
import { Keyring } from '@latchkey/core';
import type { ChallengeRecord } from '@latchkey/passkeys';
import { redisUrlForTests, startRedisCluster } from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The passkeys package's own relying-party fixture, to run real ceremonies on the Redis stores.
import { SealedCredentials } from '../../passkeys/src/sealed-credentials';
import { passkey, SECRETS, setup } from '../../passkeys/test/fixture';
import type { RedisClient } from '../src/index';
import { RedisChallengeStore, RedisCredentialStore } from '../src/passkey-stores';
import {
  clusterTarget,
  deleteKeysUnder,
  keysUnder,
  type RedisTarget,
  sleep,
  standaloneTarget,
  uniquePrefix,
} from './support';

const url = await redisUrlForTests();
const cluster = await startRedisCluster();
afterAll(() => cluster?.stop());

const signIn = (expiresAt = Date.now() + 60_000): ChallengeRecord => ({
  ceremony: 'sign-in',
  expiresAt,
});

describe.skipIf(!url)('Redis passkey stores on a shared Redis', () =>
  passkeyStoreTests(standaloneTarget(url!)),
);
describe.skipIf(!cluster)('Redis passkey stores on a Redis Cluster', () =>
  passkeyStoreTests(clusterTarget(cluster!.nodes)),
);

/** What the passkey stores do, the same on a standalone Redis and on a cluster. */
function passkeyStoreTests(target: RedisTarget): void {
  const prefix = uniquePrefix('passkeys');
  const releases: Array<() => Promise<unknown>> = [];
  /** A store made on `target` with its own client, as each app instance has. */
  const made = <T>(make: (options: { prefix: string } & object) => T): T => {
    const { options, release } = target.connect();
    releases.push(release);
    return make({ ...options, prefix });
  };
  let admin: RedisClient;
  /** Two instances of each store, each with its own client, as two app instances would have. */
  let store: RedisCredentialStore;
  let other: RedisCredentialStore;
  let challenges: RedisChallengeStore;
  let otherChallenges: RedisChallengeStore;
  let counter = 0;
  /** A fresh name for each test, so tests share no users or credential ids. */
  const fresh = (name: string) => `${name}-${++counter}`;

  beforeAll(() => {
    admin = target.admin();
    store = made((options) => new RedisCredentialStore(options));
    other = made((options) => new RedisCredentialStore(options));
    challenges = made((options) => new RedisChallengeStore(options));
    otherChallenges = made((options) => new RedisChallengeStore(options));
  });
  afterAll(async () => {
    await Promise.all([store, other, challenges, otherChallenges].map((s) => s?.close()));
    await Promise.all(releases.map((release) => release()));
    if (admin) {
      await deleteKeysUnder(admin, prefix);
      await admin.quit();
    }
  });

  describe('RedisCredentialStore', () => {
    it('creates a credential id once across all users', async () => {
      const [id, alice, bob] = [fresh('id'), fresh('alice'), fresh('bob')];
      expect(await store.create(passkey(id, alice))).toBe(true);
      expect(await other.create(passkey(id, bob))).toBe(false);
      expect(await store.create(passkey(id, alice))).toBe(false);
      expect(await other.get(id)).toMatchObject({ sub: alice });
      expect(await store.listByUser(bob)).toEqual([]);
    });

    it('lets exactly one of many concurrent registrations of one id win, across instances', async () => {
      const id = fresh('raced');
      const subs = Array.from({ length: 40 }, (_, i) => `${id}-user-${i}`);
      const results = await Promise.all(
        subs.map((sub, i) => (i % 2 ? other : store).create(passkey(id, sub))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = subs[results.indexOf(true)]!;
      expect(await store.get(id)).toMatchObject({ id, sub: winner });
      const lists = await Promise.all(subs.map((sub) => other.listByUser(sub)));
      expect(lists.flat().map((c) => c.sub)).toEqual([winner]);
    });

    it('keeps one user handle per sub: the first candidate, also under concurrent first calls', async () => {
      const alice = fresh('alice');
      expect(await store.userHandleOf(alice, 'first')).toBe('first');
      expect(await other.userHandleOf(alice, 'second')).toBe('first');
      const carol = fresh('carol');
      const handles = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).userHandleOf(carol, `h${i}`)),
      );
      expect(new Set(handles).size).toBe(1);
      expect(await store.userHandleOf(carol, 'late')).toBe(handles[0]);
    });

    it('lists a user’s passkeys oldest first, and only theirs', async () => {
      const [alice, bob] = [fresh('alice'), fresh('bob')];
      const [newer, older] = [fresh('new'), fresh('old')];
      await store.create(passkey(newer, alice, { createdAt: 2000 }));
      await store.create(passkey(older, alice, { createdAt: 1000 }));
      await store.create(passkey(fresh('bobs'), bob));
      expect((await other.listByUser(alice)).map((c) => c.id)).toEqual([older, newer]);
      expect(await store.listByUser(fresh('nobody'))).toEqual([]);
    });

    it('reads back exactly what was stored, binary public key included', async () => {
      const id = fresh('exact');
      const bytes = randomBytes(300);
      // A view into a larger buffer: only its own bytes are the key.
      const publicKey = new Uint8Array(bytes.buffer, bytes.byteOffset + 5, 291);
      const credential = passkey(id, fresh('alice'), {
        publicKey,
        transports: [],
        deviceType: 'multiDevice',
        backedUp: true,
        name: 'Ünïcødé / "quoted" \\ 🔑',
        createdAt: Date.UTC(2025, 5, 1),
      });
      await store.create(credential);
      const read = await other.get(id);
      expect(read).toEqual({ ...credential, publicKey: new Uint8Array(publicKey) });
      expect(read!.publicKey).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(read!.publicKey).equals(Buffer.from(publicKey))).toBe(true);
    });

    it('records a use only when the counter advances, as the memory store does', async () => {
      const id = fresh('id');
      await store.create(passkey(id, fresh('alice')));
      expect(await store.recordUse(id, { counter: 3, backedUp: true, usedAt: 5 })).toMatchObject({
        id,
        counter: 3,
        backedUp: true,
        lastUsedAt: 5,
      });
      for (const counter of [3, 2, 0]) {
        expect(await other.recordUse(id, { counter, backedUp: false, usedAt: 6 })).toBe(
          'regressed',
        );
      }
      expect(await store.get(id)).toMatchObject({ counter: 3, backedUp: true, lastUsedAt: 5 });
      expect(await store.recordUse(id, { counter: 4, backedUp: false, usedAt: 7 })).toMatchObject({
        counter: 4,
        backedUp: false,
        lastUsedAt: 7,
      });
      expect(
        await store.recordUse(fresh('gone'), { counter: 1, backedUp: false, usedAt: 6 }),
      ).toBeUndefined();
    });

    it('keeps a passkey that always reports 0 (synced) at 0', async () => {
      const id = fresh('synced');
      await store.create(passkey(id, fresh('alice'), { deviceType: 'multiDevice' }));
      for (const usedAt of [10, 20]) {
        expect(await store.recordUse(id, { counter: 0, backedUp: true, usedAt })).toMatchObject({
          counter: 0,
          lastUsedAt: usedAt,
        });
      }
    });

    it('records exactly one of concurrent uses reporting the same counter, across instances', async () => {
      const id = fresh('cloned');
      await store.create(passkey(id, fresh('alice'), { counter: 5 }));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? other : store).recordUse(id, { counter: 6, backedUp: false, usedAt: 100 + i }),
        ),
      );
      expect(results.filter((r) => r === 'regressed')).toHaveLength(19);
      const recorded = results.find((r) => typeof r === 'object')!;
      expect(await store.get(id)).toMatchObject({ counter: 6, lastUsedAt: recorded.lastUsedAt });
    });

    it('loses neither a rename nor a use made at the same time', async () => {
      const [id, alice] = [fresh('both'), fresh('alice')];
      await store.create(passkey(id, alice));
      const [renamed, used] = await Promise.all([
        other.rename(id, alice, 'Work laptop'),
        store.recordUse(id, { counter: 1, backedUp: false, usedAt: 50 }),
      ]);
      expect(renamed).toBe(true);
      expect(used).toMatchObject({ counter: 1 });
      expect(await store.get(id)).toMatchObject({
        name: 'Work laptop',
        counter: 1,
        lastUsedAt: 50,
      });
    });

    it('renames and deletes only the owner’s passkey, then frees its id', async () => {
      const [id, alice, bob] = [fresh('id'), fresh('alice'), fresh('bob')];
      await store.create(passkey(id, alice));
      expect(await store.rename(id, bob, 'Mine now')).toBe(false);
      expect(await store.delete(id, bob)).toBe(false);
      expect(await other.rename(id, alice, 'Laptop')).toBe(true);
      expect(await store.get(id)).toMatchObject({ name: 'Laptop' });
      expect(await other.delete(id, alice)).toBe(true);
      expect(await store.delete(id, alice)).toBe(false);
      expect(await store.rename(id, alice, 'Gone')).toBe(false);
      expect(await store.get(id)).toBeUndefined();
      expect(await store.listByUser(alice)).toEqual([]);
      expect(await store.create(passkey(id, bob))).toBe(true);
    });

    it('stores and replaces a profile', async () => {
      const alice = fresh('alice');
      expect(await store.getProfile(alice)).toBeUndefined();
      await store.setProfile(alice, { email: 'alice@example.com', roles: ['user'] });
      expect(await other.getProfile(alice)).toEqual({
        email: 'alice@example.com',
        roles: ['user'],
      });
      await other.setProfile(alice, { name: 'Alice' });
      expect(await store.getProfile(alice)).toEqual({ name: 'Alice' });
    });

    it('forgets a user: passkeys, user handle and profile, and frees their ids', async () => {
      const [alice, bob, a1, a2, b1] = ['alice', 'bob', 'a1', 'a2', 'b1'].map(fresh) as [
        string,
        string,
        string,
        string,
        string,
      ];
      await store.userHandleOf(alice, 'h1');
      await store.setProfile(alice, { email: 'alice@example.com' });
      await store.create(passkey(a1, alice));
      await store.create(passkey(a2, alice));
      await store.create(passkey(b1, bob));
      expect(await other.deleteUser(alice)).toBe(2);
      expect(await store.get(a1)).toBeUndefined();
      expect(await store.listByUser(alice)).toEqual([]);
      expect(await store.getProfile(alice)).toBeUndefined();
      expect(await store.userHandleOf(alice, 'h2')).toBe('h2');
      expect(await store.get(b1)).toBeDefined();
      expect(await store.create(passkey(a1, bob))).toBe(true);
      expect(await store.deleteUser(fresh('nobody'))).toBe(0);
    });

    it('hands out copies, so a caller cannot change what it keeps', async () => {
      const [id, alice] = [fresh('id'), fresh('alice')];
      const original = passkey(id, alice);
      await store.create(original);
      original.counter = 99;
      const read = await store.get(id);
      read!.publicKey[0] = 42;
      expect(await store.get(id)).toMatchObject({
        counter: 0,
        publicKey: new Uint8Array([1, 2, 3]),
      });
    });

    it('keeps everything under its prefix: one hash per user and one claim per id, no TTL', async () => {
      const [id, alice] = [fresh('layout'), fresh('alice')];
      await store.create(passkey(id, alice));
      await store.userHandleOf(alice, 'handle');
      await store.setProfile(alice, { name: 'Alice' });
      expect(await admin.get(`${prefix}passkey-id:${id}`)).toBe(alice);
      const hash = await admin.hgetall(`${prefix}passkey-user:${alice}`);
      expect(Object.keys(hash).sort()).toEqual(['handle', `passkey:${id}`, 'profile']);
      expect(JSON.parse(hash[`passkey:${id}`]!)).toMatchObject({ publicKey: 'AQID' });
      expect(await admin.ttl(`${prefix}passkey-id:${id}`)).toBe(-1);
      expect(await admin.ttl(`${prefix}passkey-user:${alice}`)).toBe(-1);
      expect((await keysUnder(admin, prefix)).every((key) => key.startsWith(prefix))).toBe(true);
    });
  });

  describe('RedisChallengeStore', () => {
    it('hands out the record once, then "consumed" while it lives, with the TTL given', async () => {
      const key = fresh('challenge');
      const record: ChallengeRecord = {
        ceremony: 'step-up',
        sub: 'alice',
        allowCredentials: ['x', 'y'],
        expiresAt: 123,
      };
      await challenges.put(key, record, 60_000);
      const pttl = await admin.pttl(`${prefix}passkey-challenge:${key}`);
      expect(pttl).toBeGreaterThan(58_000);
      expect(await otherChallenges.consume(key)).toEqual(record);
      expect(await challenges.consume(key)).toBe('consumed');
      expect(await otherChallenges.consume(key)).toBe('consumed');
      // Consuming keeps the entry's remaining lifetime.
      expect(await admin.pttl(`${prefix}passkey-challenge:${key}`)).toBeGreaterThan(58_000);
      expect(await challenges.consume(fresh('unknown'))).toBeUndefined();
    });

    it('consumes atomically: of many concurrent takes on two instances exactly one gets the record', async () => {
      const key = fresh('raced');
      await challenges.put(key, signIn(), 60_000);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? otherChallenges : challenges).consume(key)),
      );
      expect(results.filter((r) => r === 'consumed')).toHaveLength(19);
      expect(results.filter((r) => typeof r === 'object')).toHaveLength(1);
    });

    it('forgets a challenge, consumed or not, once its TTL has passed', async () => {
      const [pending, spent] = [fresh('pending'), fresh('spent')];
      await challenges.put(pending, signIn(), 100);
      await challenges.put(spent, signIn(), 100);
      await challenges.consume(spent);
      await sleep(200);
      expect(await challenges.consume(pending)).toBeUndefined();
      expect(await challenges.consume(spent)).toBeUndefined();
    });

    it('replaces an entry put again under the same key', async () => {
      const key = fresh('again');
      await challenges.put(key, signIn(1), 60_000);
      await challenges.consume(key);
      await challenges.put(key, signIn(2), 60_000);
      expect(await challenges.consume(key)).toEqual(signIn(2));
    });
  });

  describe('under createPasskeys, with real ceremonies', () => {
    it('registers, signs in and refuses a replayed answer and a re-registered id', async () => {
      const sub = fresh('alice');
      const rp = setup({ credentials: store, challenges });
      const { credential } = await rp.register(sub);
      // Redis knows the user by an HMAC of the sub; through the secrets, another instance finds it.
      expect(await other.listByUser(sub)).toEqual([]);
      const seen = new SealedCredentials(other, new Keyring(SECRETS));
      expect((await seen.listByUser(sub)).map((c) => c.id)).toEqual([credential.id]);

      const answer = await rp.signInAnswer();
      const signedIn = await answer.verify();
      expect(signedIn.sub).toBe(sub);
      expect(await answer.verify().catch((error: { code: string }) => error.code)).toBe(
        'passkey_challenge_replayed',
      );
      const again = await rp.registrationAnswer(fresh('mallory'), {
        credentialId: Buffer.from(credential.id, 'base64url'),
      });
      expect(await again.verify().catch((error: { code: string }) => error.code)).toBe(
        'passkey_already_registered',
      );
    });
  });
}
