import { describe, expect, it } from 'vitest';
import { sealedBy } from '../test/sealed';
import { isPromiseLike } from './awaitable';
import { type LatchkeyOptions, resolveConfig } from './config';
import { parseCookies } from './cookies';
import { createLatchkey } from './latchkey';
import { MemoryRevocationList, MemorySessionStore } from './memory';
import type { RevocationList } from './revocation';
import { Keyring } from './seal';
import { CookieSessions, StoreSessions } from './session-backends';
import {
  claimsOf,
  createRecord,
  idTokenOf,
  passkeyRecord,
  readRecord,
  sessionJson,
  steppedUp,
  toSession,
  withTokens,
} from './session-record';

const secret = 'session-secret-session-secret-session-1';
const now = 1_800_000_000_000;

function configFor(
  baseUrl: string,
  secrets = [secret],
  more: Pick<LatchkeyOptions, 'sessionClaims'> = {},
) {
  return resolveConfig({
    issuer: 'https://idp.example.com',
    clientId: 'app',
    clientSecret: 's',
    baseUrl,
    secrets,
    ...more,
  });
}

/** An unsigned compact JWT-shaped ID token: the codec only stores it, validation happened before. */
function idToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'k' })}.${part(claims)}.c2lnbmF0dXJl`;
}

function recordWith(claims: Record<string, unknown>) {
  return createRecord(
    {
      idToken: idToken({ sub: 'alice', ...claims }),
      claims: undefined,
      accessToken: 'at',
      accessTokenExpiresAt: now / 1000 + 3600,
      refreshToken: 'rt',
      scope: 'openid',
      tokenType: 'bearer',
    },
    now,
  );
}

function browserCookies(previous: Map<string, string>, lines: string[]): Map<string, string> {
  const jar = new Map(previous);
  for (const line of lines) {
    const pair = line.split(';')[0]!;
    const name = pair.slice(0, pair.indexOf('='));
    if (/Max-Age=0(;|$)/.test(line)) jar.delete(name);
    else jar.set(name, pair.slice(pair.indexOf('=') + 1));
  }
  return jar;
}

describe('cookie sessions', () => {
  it('round-trips 10 kB of claims in chunks that each stay under 4096 bytes, and clears stale chunks when it shrinks', async () => {
    const config = configFor('http://localhost:3000');
    const codec = new CookieSessions(
      config,
      new Keyring(config.secrets),
      new MemoryRevocationList(),
    );
    const big = recordWith({ bio: 'é'.repeat(2500) + 'x'.repeat(5000) });
    expect(new TextEncoder().encode(big.idt!.p).length).toBeGreaterThan(10_000);
    const lines = await codec.save(big, new Map(), now);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(new TextEncoder().encode(line).length).toBeLessThan(4096);
    const jar = browserCookies(new Map(), lines);
    const read = await codec.read(jar, now);
    expect(read.record && claimsOf(read.record)).toEqual(claimsOf(big));
    expect(read.record && idTokenOf(read.record)).toBe(idTokenOf(big));

    const small = recordWith({ name: 'Alice' });
    const shrunk = browserCookies(jar, await codec.save(small, jar, now));
    expect([...shrunk.keys()]).toEqual(['lk_session']);
    expect(claimsOf((await codec.read(shrunk, now)).record!)).toMatchObject({ name: 'Alice' });
  });

  it('reads a session cookie sealed by an earlier release (format 1: the record spread into the claims)', async () => {
    const config = configFor('http://localhost:3000');
    const codec = new CookieSessions(
      config,
      new Keyring(config.secrets),
      new MemoryRevocationList(),
    );
    const { sessionId, ...record } = recordWith({ name: 'Alice' });
    const sealed = await sealedBy(secret, 'session', {
      ...record,
      sid: sessionId,
      v: 1,
      exp: Math.floor(now / 1000) + 3600,
    });
    const read = await codec.read(new Map([['lk_session', sealed]]), now);
    expect(read.record).toEqual({ ...record, sessionId });
    expect(claimsOf(read.record!)).toMatchObject({ sub: 'alice', name: 'Alice' });
  });

  it('hands the store no session id, token, claim or sub: HMAC names and a sealed record', async () => {
    const config = configFor('http://localhost:3000');
    const seen: string[] = [];
    const store = new MemorySessionStore({ now: () => now });
    const spied = new Proxy(store, {
      get: (target, name) => {
        const value = Reflect.get(target, name);
        return typeof value === 'function'
          ? (...args: unknown[]) => {
              seen.push(JSON.stringify(args));
              return value.apply(target, args);
            }
          : value;
      },
    });
    const sessions = new StoreSessions(config, spied, new Keyring(config.secrets));
    const record = recordWith({
      name: 'Alice Example',
      email: 'alice@example.com',
      sid: 'idp-sid-1',
    });
    const written = browserCookies(new Map(), await sessions.save(record, new Map(), now));
    expect(written.get('lk_session')).toBe(record.sessionId);
    await sessions.coordinateRefresh(record, async (current) => ({ ...current, rt: 'rt-2' }));
    await sessions.endBy({ idpSid: 'idp-sid-1' });
    const told = seen.join('\n');
    expect(seen.length).toBeGreaterThan(3);
    for (const secretValue of [
      record.sessionId,
      'alice',
      'Alice Example',
      'idp-sid-1',
      '"at"',
      '"rt"',
      'rt-2',
      record.idt!,
    ]) {
      expect(told).not.toContain(secretValue);
    }
    // The IdP session's HMAC matched: its session ended.
    expect((await sessions.read(written, now)).problem?.code).toBe('session_revoked');
  });

  it('refuses records swapped between two sessions, and records it did not seal, with session_invalid', async () => {
    const config = configFor('http://localhost:3000');
    const store = new MemorySessionStore({ now: () => now });
    const keyring = new Keyring(config.secrets);
    const sessions = new StoreSessions(config, store, keyring);
    const first = recordWith({ name: 'A' });
    const second = recordWith({ name: 'B' });
    const [firstKey] = keyring.tags('store-key', first.sessionId);
    const [secondKey] = keyring.tags('store-key', second.sessionId);
    const firstCookies = browserCookies(new Map(), await sessions.save(first, new Map(), now));
    const secondCookies = browserCookies(new Map(), await sessions.save(second, new Map(), now));
    expect((await sessions.read(firstCookies, now)).record).toEqual(first);
    const firstStored = (await store.get(firstKey!))!;
    const secondStored = (await store.get(secondKey!))!;
    await store.set(firstKey!, secondStored, 3600);
    await store.set(secondKey!, firstStored, 3600);
    for (const cookies of [firstCookies, secondCookies]) {
      expect((await sessions.read(cookies, now)).problem?.code).toBe('session_invalid');
    }
    // A record in the clear (as no release of latchkey writes) or sealed for cookies opens to nothing.
    await store.set(firstKey!, { sub: 'alice', data: { ...first } }, 3600);
    expect((await sessions.read(firstCookies, now)).problem?.code).toBe('session_invalid');
    const cookieSeal = await keyring.seal('session', first, now / 1000 + 3600);
    await store.set(firstKey!, { sub: 'alice', data: { jwe: cookieSeal } }, 3600);
    expect((await sessions.read(firstCookies, now)).problem?.code).toBe('session_invalid');
    // A session id the store has nothing under is a session that ended.
    expect(
      (await sessions.read(new Map([['lk_session', 'x'.repeat(43)]]), now)).problem?.code,
    ).toBe('session_revoked');
  });

  it('reads and ends store sessions written under a secret since rotated out of first place', async () => {
    const store = new MemorySessionStore({ now: () => now });
    const before = configFor('http://localhost:3000');
    const old = new StoreSessions(before, store, new Keyring(before.secrets));
    const record = recordWith({ sid: 'idp-sid-2' });
    const other = recordWith({ sid: 'idp-sid-3' });
    const cookies = browserCookies(new Map(), await old.save(record, new Map(), now));
    const otherCookies = browserCookies(new Map(), await old.save(other, new Map(), now));
    const after = configFor('http://localhost:3000', [
      'a-new-secret-a-new-secret-a-new-secret',
      secret,
    ]);
    const rotated = new StoreSessions(after, store, new Keyring(after.secrets));
    expect((await rotated.read(cookies, now)).record).toEqual(record);
    // Only the secrets open it: without the old one, the record is unreadable.
    const only = configFor('http://localhost:3000', ['a-new-secret-a-new-secret-a-new-secret']);
    const forgot = new StoreSessions(only, store, new Keyring(only.secrets));
    expect((await forgot.read(cookies, now)).problem?.code).toBe('session_revoked');
    // A refresh and a touch write where the session is stored, not under the new secret's name.
    const refreshed = await rotated.coordinateRefresh(record, async (current) => ({
      ...current,
      rt: 'rt-new',
    }));
    expect((await rotated.read(cookies, now)).record).toEqual(refreshed);
    // Mid-rotation, an instance that lists the new secret second reads what it wrote.
    const midway = configFor('http://localhost:3000', [
      secret,
      'a-new-secret-a-new-secret-a-new-secret',
    ]);
    const stepOne = new StoreSessions(midway, store, new Keyring(midway.secrets));
    expect((await stepOne.read(cookies, now)).record).toEqual(refreshed);
    const touched = { ...refreshed, touchedAt: now + 1000 };
    await rotated.touch(touched, cookies, now);
    expect((await stepOne.read(cookies, now)).record).toEqual(touched);
    // Sign-out ends it under every secret.
    await rotated.end(refreshed, cookies);
    expect((await rotated.read(cookies, now)).problem?.code).toBe('session_revoked');
    // Back-channel logout finds sessions indexed under the old secret, by sid and by sub.
    await rotated.endBy({ idpSid: 'idp-sid-3' });
    expect((await rotated.read(otherCookies, now)).problem?.code).toBe('session_revoked');
    const third = recordWith({ sid: 'idp-sid-4' });
    const thirdCookies = browserCookies(new Map(), await old.save(third, new Map(), now));
    await rotated.endBy({ sub: 'alice' });
    expect((await stepOne.read(thirdCookies, now)).problem?.code).toBe('session_revoked');
  });

  it('keeps a session ended while it was being refreshed or touched ended, under rotated secrets', async () => {
    const store = new MemorySessionStore({ now: () => now });
    const before = configFor('http://localhost:3000');
    const old = new StoreSessions(before, store, new Keyring(before.secrets));
    const after = configFor('http://localhost:3000', [
      'a-new-secret-a-new-secret-a-new-secret',
      secret,
    ]);
    const rotated = new StoreSessions(after, store, new Keyring(after.secrets));
    const record = recordWith({});
    const cookies = browserCookies(new Map(), await old.save(record, new Map(), now));
    // Signed out (on another instance) while the IdP answered the refresh.
    const refreshed = await rotated.coordinateRefresh(record, async (current) => {
      await old.end(current, new Map());
      return { ...current, rt: 'rt-late' };
    });
    expect(refreshed.rt).toBe('rt-late');
    expect((await rotated.read(cookies, now)).problem?.code).toBe('session_revoked');
    // A touch of the ended session writes nothing, and a refresh of it is refused at once.
    await rotated.touch({ ...record, touchedAt: now + 1000 }, cookies, now);
    expect((await rotated.read(cookies, now)).problem?.code).toBe('session_revoked');
    let refreshedAgain = false;
    await expect(
      rotated.coordinateRefresh(record, async (current) => {
        refreshedAgain = true;
        return current;
      }),
    ).rejects.toMatchObject({ code: 'session_revoked' });
    expect(refreshedAgain).toBe(false);
  });

  it('refuses to seal a session too large for a request header, with session_too_large', async () => {
    const config = configFor('http://localhost:3000');
    const codec = new CookieSessions(
      config,
      new Keyring(config.secrets),
      new MemoryRevocationList(),
    );
    await expect(
      codec.save(recordWith({ blob: 'x'.repeat(20_000) }), new Map(), now),
    ).rejects.toMatchObject({
      code: 'session_too_large',
    });
  });

  it('rebuilds the exact ID token for id_token_hint', () => {
    const token = idToken({ sub: 'alice', name: 'Ålice ✓' });
    const record = createRecord(
      {
        idToken: token,
        claims: undefined,
        accessToken: 'at',
        accessTokenExpiresAt: undefined,
        refreshToken: undefined,
        scope: undefined,
        tokenType: 'bearer',
      },
      now,
    );
    expect(idTokenOf(record)).toBe(token);
  });

  it('uses __Host- names and Secure on an https base URL', async () => {
    const config = configFor('https://app.example.com');
    const codec = new CookieSessions(
      config,
      new Keyring(config.secrets),
      new MemoryRevocationList(),
    );
    const [line] = await codec.save(recordWith({}), new Map(), now);
    expect(line).toMatch(
      /^__Host-lk_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400; Secure$/,
    );
  });

  it('reads a session sealed with the old secret after a new secret is put first', async () => {
    const old = configFor('http://localhost:3000');
    const lines = await new CookieSessions(
      old,
      new Keyring(old.secrets),
      new MemoryRevocationList(),
    ).save(recordWith({}), new Map(), now);
    const rotated = configFor('http://localhost:3000', [
      'a-brand-new-secret-a-brand-new-secret',
      secret,
    ]);
    const read = await new CookieSessions(
      rotated,
      new Keyring(rotated.secrets),
      new MemoryRevocationList(),
    ).read(browserCookies(new Map(), lines), now);
    expect(read.record?.sessionId).toBeTypeOf('string');
  });

  it('reports a tampered cookie as session_invalid and an idle one as session_expired', async () => {
    const config = configFor('http://localhost:3000');
    const codec = new CookieSessions(
      config,
      new Keyring(config.secrets),
      new MemoryRevocationList(),
    );
    const jar = browserCookies(new Map(), await codec.save(recordWith({}), new Map(), now));
    const value = jar.get('lk_session')!;
    const tampered = parseCookies(`lk_session=${value.slice(0, 40)}A${value.slice(41)}`);
    expect((await codec.read(tampered, now)).problem?.code).toBe('session_invalid');
    expect((await codec.read(jar, now + config.idleTimeout * 1000)).problem?.code).toBe(
      'session_expired',
    );
  });

  it('serves a cached unseal but still refuses the session once it expires or is revoked', async () => {
    const config = configFor('http://localhost:3000');
    const revocations = new MemoryRevocationList();
    const codec = new CookieSessions(config, new Keyring(config.secrets), revocations);
    const record = recordWith({});
    const jar = browserCookies(new Map(), await codec.save(record, new Map(), now));
    expect((await codec.read(jar, now)).record?.sessionId).toBe(record.sessionId);
    expect((await codec.read(jar, now + 1000)).record?.sessionId).toBe(record.sessionId);
    expect((await codec.read(jar, now + config.idleTimeout * 1000)).problem?.code).toBe(
      'session_expired',
    );
    await revocations.revoke({ sessionId: record.sessionId }, now + 2000, 60);
    expect((await codec.read(jar, now + 3000)).problem?.code).toBe('session_revoked');
  });

  it('reads a cached session without a promise, and never serves it for a cookie altered before its tag', async () => {
    const config = configFor('http://localhost:3000');
    const codec = new CookieSessions(
      config,
      new Keyring(config.secrets),
      new MemoryRevocationList(),
    );
    const record = recordWith({});
    const jar = browserCookies(new Map(), await codec.save(record, new Map(), now));
    expect((await codec.read(jar, now)).record?.sessionId).toBe(record.sessionId);
    const cached = codec.read(jar, now + 1000);
    expect(isPromiseLike(cached)).toBe(false);
    expect((await cached).record?.sessionId).toBe(record.sessionId);
    // The same JWE authentication tag (last segment) with another ciphertext: unsealed, and refused.
    const sealed = jar.get('lk_session')!;
    const parts = sealed.split('.');
    const ciphertext = parts[3]!;
    parts[3] = `${ciphertext.slice(0, 10)}${ciphertext[10] === 'A' ? 'B' : 'A'}${ciphertext.slice(11)}`;
    const altered = new Map([['lk_session', parts.join('.')]]);
    expect((await codec.read(altered, now + 1000)).problem?.code).toBe('session_invalid');
    expect((await codec.read(jar, now + 1000)).record?.sessionId).toBe(record.sessionId);
  });

  it('answers store_unavailable when the revocation list fails, synchronously or not', async () => {
    const config = configFor('http://localhost:3000');
    const failing = (mode: 'throw' | 'reject'): RevocationList => ({
      revoke: async () => {},
      markSeen: async () => true,
      forgetSeen: async () => {},
      isRevoked: (): boolean | Promise<boolean> => {
        if (mode === 'throw') throw new Error('down');
        return Promise.reject(new Error('down'));
      },
    });
    for (const mode of ['throw', 'reject'] as const) {
      const codec = new CookieSessions(config, new Keyring(config.secrets), failing(mode));
      const jar = browserCookies(new Map(), await codec.save(recordWith({}), new Map(), now));
      await expect(Promise.resolve().then(() => codec.read(jar, now))).rejects.toMatchObject({
        code: 'store_unavailable',
      });
      // The app's request goes on signed out, with the problem for guards to answer (503).
      const latchkey = createLatchkey({
        issuer: 'https://idp.example.com',
        clientId: 'app',
        clientSecret: 's',
        baseUrl: 'http://localhost:3000',
        secrets: [secret],
        revocations: failing(mode),
        now: () => now,
      });
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      const context = await latchkey.authenticate(
        new Request('http://localhost:3000/', { headers: { cookie } }),
        () => {},
      );
      expect(context.session).toBeNull();
      expect(context.problem?.code).toBe('store_unavailable');
    }
  });
});

describe('passkey records', () => {
  const config = configFor('https://app.example.com');
  const mfa = { acr: 'urn:latchkey:acr:mfa', amr: ['hwk', 'user'] };

  it('starts a session from the stored profile, with no ID token and no tokens', () => {
    const record = passkeyRecord({ sub: 'alice', name: 'Alice', acr: 'forged' }, mfa, now);
    expect(readRecord(JSON.parse(JSON.stringify(record)))).toEqual(record);
    expect(idTokenOf(record)).toBeUndefined();
    expect(record).not.toHaveProperty('at');
    const session = toSession(record, config);
    expect(session.user).toEqual({ sub: 'alice', name: 'Alice' });
    expect(session).toMatchObject({ acr: mfa.acr, amr: mfa.amr, authTime: now / 1000 });
    expect(passkeyRecord({ sub: 'alice' }, { acr: undefined, amr: ['swk'] }, now).own).toBe(
      JSON.stringify({ sub: 'alice', acrs: [], amr: ['swk'], auth_time: now / 1000 }),
    );
  });

  it('steps up over the ID token: new id, acr of the passkey (even below an earlier one), amr added, auth_time now', () => {
    const record = recordWith({
      acr: 'urn:latchkey:acr:phr',
      acrs: ['c2'],
      amr: ['pwd'],
      auth_time: 1,
    });
    const later = now + 60_000;
    const raised = steppedUp(record, mfa, later);
    expect(raised.sessionId).not.toBe(record.sessionId);
    expect(raised).toMatchObject({ createdAt: now, touchedAt: later, rt: 'rt', at: 'at' });
    // Entra's contexts met at the IdP long ago do not ride on the fresh auth_time.
    expect(toSession(raised, config).acrs).toEqual([mfa.acr]);
    expect(claimsOf(raised)).toMatchObject({
      sub: 'alice',
      acr: mfa.acr,
      amr: ['pwd', 'hwk', 'user'],
      auth_time: later / 1000,
    });
    // A refresh brings a new ID token with the IdP's acr; the passkey's stays on top of it.
    const refreshed = withTokens(raised, {
      idToken: idToken({ sub: 'alice', acr: 'urn:latchkey:acr:pwd', auth_time: 1 }),
      claims: undefined,
      accessToken: 'at2',
      accessTokenExpiresAt: undefined,
      refreshToken: undefined,
      scope: undefined,
      tokenType: 'bearer',
    });
    expect(claimsOf(refreshed)).toMatchObject({ acr: mfa.acr, auth_time: later / 1000 });
    // Twice: amr keeps each method once.
    const twice = steppedUp(raised, { acr: 'urn:latchkey:acr:mfa', amr: ['swk', 'user'] }, later);
    expect(claimsOf(twice).amr).toEqual(['pwd', 'hwk', 'user', 'swk']);
  });

  it("keeps the IdP's sid when a refreshed ID token leaves it out, and takes a new one it names", () => {
    const refresh = (record: ReturnType<typeof recordWith>, claims: Record<string, unknown>) =>
      withTokens(record, {
        idToken: idToken({ sub: 'alice', ...claims }),
        claims: undefined,
        accessToken: 'at2',
        accessTokenExpiresAt: undefined,
        refreshToken: undefined,
        scope: undefined,
        tokenType: 'bearer',
      });
    const config = configFor('https://app.example.com');
    const signedIn = recordWith({ sid: 'idp-session-1', name: 'Alice' });
    const withoutSid = refresh(signedIn, { name: 'Alice B.' });
    expect(toSession(withoutSid, config)).toMatchObject({
      idpSid: 'idp-session-1',
      user: { name: 'Alice B.' },
    });
    const again = refresh(withoutSid, {});
    expect(toSession(again, config).idpSid).toBe('idp-session-1');
    const renamed = refresh(again, { sid: 'idp-session-2' });
    expect(toSession(renamed, config).idpSid).toBe('idp-session-2');
    expect(renamed.own).toBeUndefined();
    // A session that never had a sid gets none.
    expect(toSession(refresh(recordWith({}), {}), config).idpSid).toBeUndefined();
  });

  it('shows an auth_time of 0 (an IdP that does not know) as unknown', () => {
    const config = configFor('https://app.example.com');
    const session = toSession(recordWith({ auth_time: 0 }), config);
    expect(session.authTime).toBeUndefined();
    expect(sessionJson(session)).toMatchObject({ authTime: null });
    expect(toSession(recordWith({ auth_time: 1_700_000_000 }), config).authTime).toBe(
      1_700_000_000,
    );
  });

  it('reads no record that has neither an ID token nor claims of its own', () => {
    expect(readRecord({ sessionId: 'x', createdAt: now, touchedAt: now })).toBeNull();
    expect(readRecord({ sessionId: 'x', createdAt: now, touchedAt: now, own: 1 })).toBeNull();
  });
});

describe('store sessions in detail', () => {
  const config = (debug?: (line: string) => void) =>
    resolveConfig({
      issuer: 'https://idp.example.com',
      clientId: 'app',
      clientSecret: 's',
      baseUrl: 'http://localhost:3000',
      secrets: [secret],
      ...(debug ? { debug } : {}),
    });

  it('refuses what a store hands back that is no sealed record, without throwing', async () => {
    const keyring = new Keyring([secret]);
    const record = recordWith({});
    const [key] = keyring.tags('store-key', record.sessionId);
    const cookies = new Map([['lk_session', record.sessionId]]);
    for (const stored of [
      { sub: 'x', data: { jwe: 42 } },
      { sub: 'x' },
      {
        sub: 'x',
        data: { jwe: await keyring.seal('store', { not: 'a record' }, now / 1000 + 60) },
      },
    ]) {
      const store = new MemorySessionStore({ now: () => now });
      await store.set(key!, stored as never, 60);
      const sessions = new StoreSessions(config(), store, keyring);
      expect((await sessions.read(cookies, now)).problem?.code).toBe('session_invalid');
    }
  });

  it('opens a stored record once, not per request', async () => {
    const keyring = new Keyring([secret]);
    let opened = 0;
    const unseal = keyring.unseal.bind(keyring);
    keyring.unseal = (async (...args: Parameters<typeof unseal>) => {
      opened++;
      return unseal(...args);
    }) as typeof keyring.unseal;
    const sessions = new StoreSessions(
      config(),
      new MemorySessionStore({ now: () => now }),
      keyring,
    );
    const record = recordWith({});
    const cookies = browserCookies(new Map(), await sessions.save(record, new Map(), now));
    for (let i = 0; i < 3; i++) expect((await sessions.read(cookies, now)).record).toEqual(record);
    expect(opened).toBe(1);
  });

  it('logs each store call by name and outcome with debug on', async () => {
    const lines: string[] = [];
    const store = new MemorySessionStore({ now: () => now });
    const sessions = new StoreSessions(
      config((line) => lines.push(line)),
      store,
      new Keyring([secret]),
    );
    const record = recordWith({ sid: 'idp-sid-9' });
    const cookies = browserCookies(new Map(), await sessions.save(record, new Map(), now));
    await sessions.read(cookies, now);
    await sessions.markSeen('jti:1', 60);
    await sessions.markSeen('jti:1', 60);
    await sessions.endBy({ idpSid: 'idp-sid-9' });
    await sessions.read(cookies, now);
    expect(lines.map((line) => line.replace(/ in \d+ ms$/, ''))).toEqual([
      'store: set done',
      'store: get found one',
      'store: markSeen first use',
      'store: markSeen replay',
      'store: destroyBy done',
      'store: get found none',
    ]);
  });

  it('waits for another instance that holds the refresh lock, takes its result, and frees its own lock', async () => {
    const lines: string[] = [];
    const keyring = new Keyring([secret]);
    const store = new MemorySessionStore();
    const sessions = new StoreSessions(
      config((line) => lines.push(line)),
      store,
      keyring,
    );
    const record = recordWith({});
    await sessions.save(record, new Map(), Date.now());
    const lockKey = `refresh:${keyring.tags('store-key', record.sessionId)[0]}`;
    // Another instance holds the lock, refreshes, and lets go.
    const release = (await store.lock(lockKey, 10_000))!;
    const elsewhere = { ...record, rt: 'rt-from-elsewhere' };
    setTimeout(async () => {
      await sessions.save(elsewhere, new Map(), Date.now());
      await release();
    }, 120);
    let refreshed = false;
    const result = await sessions.coordinateRefresh(record, async (current) => {
      refreshed = true;
      return current;
    });
    expect(result).toEqual(elsewhere);
    expect(refreshed).toBe(false);
    expect(lines.map((line) => line.replace(/ in \d+ ms$/, ''))).toContain(
      'store: lock held elsewhere',
    );
    // This instance's own refresh lets go of its lock.
    await sessions.coordinateRefresh(elsewhere, async (current) => ({ ...current, rt: 'rt-3' }));
    expect(await store.lock(lockKey, 1000)).toEqual(expect.any(Function));
  });
});

describe('sessionClaims', () => {
  it('adds the claims sessionClaims names to the user, camel-cased, and nothing else of the claims', () => {
    const config = configFor('https://app.example.com', [secret], {
      sessionClaims: ['tenant_id', 'locale', 'groups'],
    });
    const session = toSession(
      recordWith({ tenant_id: 't-42', groups: ['a', 'b'], name: 'Alice', hidden: 'x' }),
      config,
    );
    expect(session.user).toEqual({
      sub: 'alice',
      name: 'Alice',
      tenantId: 't-42',
      groups: ['a', 'b'],
    });
    expect(sessionJson(session)).toMatchObject({ user: { tenantId: 't-42' } });
    expect(JSON.stringify(sessionJson(session))).not.toContain('hidden');
  });

  it('takes a function instead, whose fields never replace the standard ones', () => {
    const config = configFor('https://app.example.com', [secret], {
      sessionClaims: (claims) => ({
        org: claims['https://example.com/org'],
        sub: 'mallory',
        name: 42,
        email: 'forged@example.com',
      }),
    });
    const session = toSession(
      recordWith({ 'https://example.com/org': 'acme', email: 'alice@example.com' }),
      config,
    );
    expect(session.user).toEqual({ sub: 'alice', email: 'alice@example.com', org: 'acme' });
  });

  it.each([
    ['sub', "'sub' is already part of the session's user"],
    ['name', "'name' is already part of the session's user"],
    ['https://example.com/org', 'is not a plain claim name'],
    ['', 'is not a plain claim name'],
  ])('refuses sessionClaims [%j] with config_invalid', (name, message) => {
    expect(() => configFor('https://app.example.com', [secret], { sessionClaims: [name] })).toThrow(
      expect.objectContaining({
        code: 'config_invalid',
        message: expect.stringContaining(message),
      }),
    );
  });
});
