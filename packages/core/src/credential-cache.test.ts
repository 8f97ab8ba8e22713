import { describe, expect, it } from 'vitest';
import { CredentialCache } from './credential-cache';

const credential = (body: string, tag = 'tag-of-the-credential') => `header.${body}.${tag}`;

describe('CredentialCache', () => {
  it('returns an entry only for the identical credential, and keeps it when a lookalike misses', () => {
    const cache = new CredentialCache<string>(10);
    cache.set(credential('alice'), 'alice', 2000);
    expect(cache.get(credential('alice'), 1000)).toBe('alice');
    // Same last segment (signature or tag), other bytes: a miss, never the entry of another credential.
    expect(cache.get(credential('mallory'), 1000)).toBeUndefined();
    expect(cache.get(`${credential('alice')}x`, 1000)).toBeUndefined();
    expect(cache.get(credential('alice'), 1000)).toBe('alice');
  });

  it('drops an entry at its expiry', () => {
    const cache = new CredentialCache<string>(10);
    cache.set(credential('alice'), 'alice', 2000);
    expect(cache.get(credential('alice'), 1999)).toBe('alice');
    expect(cache.get(credential('alice'), 2000)).toBeUndefined();
    expect(cache.get(credential('alice'), 1000)).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the oldest first', () => {
    const cache = new CredentialCache<number>(3);
    for (let index = 0; index < 5; index++) cache.set(credential('x', `tag${index}`), index, 9999);
    expect(cache.get(credential('x', 'tag0'), 0)).toBeUndefined();
    expect(cache.get(credential('x', 'tag1'), 0)).toBeUndefined();
    expect([2, 3, 4].map((index) => cache.get(credential('x', `tag${index}`), 0))).toEqual([
      2, 3, 4,
    ]);
  });
});
