import type { RevocationSubject } from '@latchkey/core';
import { redisUrlForTests, startRedisCluster } from '@latchkey/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisClient, RedisRevocationList } from '../src/index';
import {
  clusterTarget,
  deleteKeysUnder,
  keysUnder,
  type RedisTarget,
  standaloneTarget,
  uniquePrefix,
} from './support';

const url = await redisUrlForTests();
const cluster = await startRedisCluster();
afterAll(() => cluster?.stop());

const T = 1_700_000_000_000;

describe.skipIf(!url)('RedisRevocationList on a shared Redis', () =>
  listTests(standaloneTarget(url!)),
);
describe.skipIf(!cluster)('RedisRevocationList on a Redis Cluster', () =>
  listTests(clusterTarget(cluster!.nodes)),
);

/** `target`'s list under `prefix`, and how to close it (and its client). */
function listOn(target: RedisTarget, prefix: string) {
  const { options, release } = target.connect();
  const list = new RedisRevocationList({ ...options, prefix });
  return { list, quit: () => list.close().then(release) };
}

/** What a revocation list does, the same on a standalone Redis and on a cluster. */
function listTests(target: RedisTarget): void {
  const prefix = uniquePrefix('revocations');
  let admin: RedisClient;
  let list: RedisRevocationList;
  let quit: () => Promise<unknown>;
  let counter = 0;
  /** A subject no other test touches, created at `createdAt`. */
  const subject = (createdAt: number, withSid = true): RevocationSubject => {
    counter += 1;
    return {
      sessionId: `session-${counter}`,
      sub: `user-${counter}`,
      idpSid: withSid ? `idp-${counter}` : undefined,
      createdAt,
    };
  };

  beforeAll(() => {
    admin = target.admin();
    ({ list, quit } = listOn(target, prefix));
  });
  afterAll(async () => {
    await quit?.();
    if (admin) {
      await deleteKeysUnder(admin, prefix);
      await admin.quit();
    }
  });

  it('is not revoked without an entry', async () => {
    expect(await list.isRevoked(subject(T))).toBe(false);
    expect(await list.isRevoked(subject(T, false))).toBe(false);
  });

  it.each([
    ['sessionId', (s: RevocationSubject) => ({ sessionId: s.sessionId })],
    ['sub', (s: RevocationSubject) => ({ sub: s.sub })],
    ['idpSid', (s: RevocationSubject) => ({ idpSid: s.idpSid! })],
  ] as const)('revokes by %s the sessions created at or before revokedAt', async (_, targetOf) => {
    const s = subject(T);
    await list.revoke(targetOf(s), T + 1000, 3600);
    expect(await list.isRevoked(s)).toBe(true);
    expect(await list.isRevoked({ ...s, createdAt: T + 1000 })).toBe(true);
    // The user signs in again after the revocation: the new session is not revoked.
    expect(await list.isRevoked({ ...s, createdAt: T + 1001 })).toBe(false);
  });

  it('matches nothing else: other sessions, users and IdP sessions', async () => {
    const s = subject(T);
    await list.revoke({ sessionId: s.sessionId }, T + 1000, 3600);
    await list.revoke({ sub: s.sub }, T + 1000, 3600);
    await list.revoke({ idpSid: s.idpSid! }, T + 1000, 3600);
    expect(await list.isRevoked(subject(T))).toBe(false);
  });

  it('ignores an IdP session entry for a subject without idpSid', async () => {
    const s = subject(T, false);
    await list.revoke({ idpSid: 'undefined' }, T + 1000, 3600);
    await list.revoke({ idpSid: '' }, T + 1000, 3600);
    expect(await list.isRevoked(s)).toBe(false);
  });

  it('stores revokedAt under a prefixed key per target, with the TTL', async () => {
    const s = subject(T);
    await list.revoke({ sessionId: s.sessionId }, T, 600);
    await list.revoke({ sub: s.sub }, T, 600);
    await list.revoke({ idpSid: s.idpSid! }, T, 600);
    for (const key of [
      `${prefix}revoked:session:${s.sessionId}`,
      `${prefix}revoked:sub:${s.sub}`,
      `${prefix}revoked:sid:${s.idpSid}`,
    ]) {
      expect(await admin.get(key)).toBe(String(T));
      const pttl = await admin.pttl(key);
      expect(pttl).toBeGreaterThan(598_000);
      expect(pttl).toBeLessThanOrEqual(600_000);
    }
  });

  it('keeps the later revokedAt and the longer lifetime', async () => {
    const s = subject(T);
    const key = `${prefix}revoked:sub:${s.sub}`;
    await list.revoke({ sub: s.sub }, T + 5000, 600);
    await list.revoke({ sub: s.sub }, T + 1000, 60); // older and shorter: changes nothing
    expect(await admin.get(key)).toBe(String(T + 5000));
    expect(await admin.pttl(key)).toBeGreaterThan(598_000);
    expect(await list.isRevoked({ ...s, createdAt: T + 4000 })).toBe(true);

    await list.revoke({ sub: s.sub }, T + 9000, 60); // later but shorter: later revokedAt, longer TTL
    expect(await admin.get(key)).toBe(String(T + 9000));
    expect(await admin.pttl(key)).toBeGreaterThan(598_000);

    await list.revoke({ sub: s.sub }, T + 2000, 7200); // older but longer: longer TTL only
    expect(await admin.get(key)).toBe(String(T + 9000));
    expect(await admin.pttl(key)).toBeGreaterThan(7_198_000);
  });

  it('treats an entry that is not a number as revoking (fail closed)', async () => {
    const s = subject(T);
    await admin.set(`${prefix}revoked:session:${s.sessionId}`, 'garbage', 'EX', 60);
    expect(await list.isRevoked(s)).toBe(true);
    await list.revoke({ sessionId: s.sessionId }, T - 1, 60); // overwrites the garbage
    expect(await list.isRevoked(s)).toBe(false);
  });

  it('refuses malformed input before reaching Redis', async () => {
    await expect(list.revoke({ sub: 's' }, Number.NaN, 60)).rejects.toThrow(RangeError);
    await expect(list.revoke({ sub: 's' }, T, 0)).rejects.toThrow(RangeError);
    await expect(list.revoke({ sub: 3 } as never, T, 60)).rejects.toThrow(TypeError);
    await expect(list.isRevoked({ ...subject(T), createdAt: Number.NaN })).rejects.toThrow(
      TypeError,
    );
  });

  it('markSeen detects a replay', async () => {
    expect(await list.markSeen('jti-a', 60)).toBe(true);
    expect(await list.markSeen('jti-a', 60)).toBe(false);
    expect(await admin.ttl(`${prefix}seen:jti-a`)).toBeGreaterThan(58);
  });

  it('forgetSeen deletes the key, so the value counts as not seen again', async () => {
    expect(await list.markSeen('jti-f', 60)).toBe(true);
    await list.forgetSeen('jti-f');
    expect(await admin.exists(`${prefix}seen:jti-f`)).toBe(0);
    expect(await list.markSeen('jti-f', 60)).toBe(true);
    expect(await list.markSeen('jti-f', 60)).toBe(false);
  });

  it('keeps lists with different prefixes apart', async () => {
    const otherPrefix = uniquePrefix('other-revocations');
    const { list: other, quit: quitOther } = listOn(target, otherPrefix);
    try {
      const s = subject(T);
      await list.revoke({ sub: s.sub }, T, 60);
      expect(await list.isRevoked(s)).toBe(true);
      expect(await other.isRevoked(s)).toBe(false);
      expect(await other.markSeen('jti-a', 60)).toBe(true);
      await other.revoke({ sessionId: 'x' }, T, 60);
      expect(await keysUnder(admin, otherPrefix)).toEqual([
        `${otherPrefix}revoked:session:x`,
        `${otherPrefix}seen:jti-a`,
      ]);
    } finally {
      await quitOther();
      await deleteKeysUnder(admin, otherPrefix);
    }
  });
}
