import { describe, expect, it } from 'vitest';
import {
  CookieHeader,
  chunkLimit,
  clearChunkedCookie,
  parseCookies,
  readChunkedCookie,
  serializeCookie,
  writeChunkedCookie,
} from './cookies';

/** Turns Set-Cookie lines into the Cookie header a browser would send next (deletions applied). */
function nextCookieHeader(
  previous: Map<string, string>,
  setCookies: string[],
): Map<string, string> {
  const jar = new Map(previous);
  for (const line of setCookies) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq);
    if (/Max-Age=0(;|$)/.test(line)) jar.delete(name);
    else jar.set(name, pair!.slice(eq + 1));
  }
  return jar;
}

describe('chunked cookies', () => {
  it('keeps a small value in one cookie with HttpOnly, SameSite=Lax and Path=/', () => {
    const lines = writeChunkedCookie('lk', 'abc', { secure: false, maxAge: 60 }, new Map(), 4);
    expect(lines).toEqual(['lk=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60']);
  });

  it('splits a 14 kB value into chunks that each stay under 4096 bytes and reads it back', () => {
    const value = 'x'.repeat(14_000);
    const lines = writeChunkedCookie(
      '__Host-lk',
      value,
      { secure: true, maxAge: 60 },
      new Map(),
      4,
    );
    expect(lines.length).toBe(4);
    for (const line of lines) {
      expect(new TextEncoder().encode(line).length).toBeLessThan(4096);
      expect(line).toMatch(/; Secure$/);
    }
    expect(readChunkedCookie('__Host-lk', nextCookieHeader(new Map(), lines), 4)).toBe(value);
  });

  it('deletes stale chunks when the value shrinks, and the single cookie when it grows', () => {
    const big = nextCookieHeader(
      new Map(),
      writeChunkedCookie('lk', 'y'.repeat(12_000), { secure: false }, new Map(), 4),
    );
    expect([...big.keys()]).toEqual(['lk.0', 'lk.1', 'lk.2', 'lk.3']);
    const shrink = writeChunkedCookie('lk', 'small', { secure: false }, big, 4);
    const after = nextCookieHeader(big, shrink);
    expect([...after.keys()]).toEqual(['lk']);
    expect(readChunkedCookie('lk', after, 4)).toBe('small');
    const grow = nextCookieHeader(
      after,
      writeChunkedCookie('lk', 'z'.repeat(5000), { secure: false }, after, 4),
    );
    expect([...grow.keys()].sort()).toEqual(['lk.0', 'lk.1']);
  });

  it('clears every chunk the request carried', () => {
    const cookies = parseCookies('lk.0=a; lk.1=b; other=c');
    expect(clearChunkedCookie('lk', cookies, false, 4)).toEqual([
      'lk.0=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
      'lk.1=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
    ]);
  });

  it('parses a Cookie header, keeping the first of duplicate names and ignoring junk', () => {
    const cookies = parseCookies('a=1; b="2"; a=3; junk; =x; c=; d = 4 ;e==5');
    expect(cookies.names()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(['a', 'b', 'c', 'd', 'e'].map((name) => cookies.get(name))).toEqual([
      '1',
      '2',
      '',
      '4',
      '=5',
    ]);
    expect(cookies.has('junk')).toBe(false);
    expect(cookies.get('x')).toBeUndefined();
    expect(parseCookies('b=a=1; a=2').get('a')).toBe('2');
    expect(parseCookies(undefined).get('a')).toBeUndefined();
  });

  it('reads each cookie as a full parse of the header would, whatever the header holds', () => {
    const pieces = ['a', 'b', 'ab', ' ', '=', ';', '"', 'x', '\t'];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 2000; round++) {
      let header = '';
      for (let i = 0; i < 12; i++) header += pieces[Math.floor(random() * pieces.length)];
      const expected = new Map<string, string>();
      for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        const name = eq === -1 ? '' : part.slice(0, eq).trim();
        if (!name || expected.has(name)) continue;
        const value = part.slice(eq + 1).trim();
        expected.set(
          name,
          value.length >= 2 && value.startsWith('"') && value.endsWith('"')
            ? value.slice(1, -1)
            : value,
        );
      }
      const cookies = parseCookies(header);
      expect(cookies.names()).toEqual([...expected.keys()]);
      for (const name of ['a', 'b', 'ab', 'x', '"'])
        expect(cookies.get(name)).toBe(expected.get(name));
    }
  });

  it('allows 4 chunks for a 14 kB session, the default session.maxSize', () => {
    expect(chunkLimit('lk_session', 14_000)).toBe(4);
    expect(chunkLimit('__Host-lk_session', 14_000)).toBe(4);
    expect(chunkLimit('lk_session', 3000)).toBe(1);
  });

  // The red-team request: 8,000 empty cookies, then 480 chunk names (15.5 kB).
  const packed = `${';'.repeat(8000)} ${Array.from({ length: 480 }, (_, i) => `lk.${i}=`).join(';')}`;

  /** A Cookie header that counts its scans. */
  class CountingHeader extends CookieHeader {
    scans = 0;
    protected override scan(): Map<string, string> {
      this.scans++;
      return super.scan();
    }
  }

  it('walks a packed Cookie header once, however many chunk names it holds', () => {
    const cookies = new CountingHeader(packed);
    expect(readChunkedCookie('lk', cookies, 4)).toBeNull();
    clearChunkedCookie('lk', cookies, false, 4);
    writeChunkedCookie('lk', 'v', { secure: false }, cookies, 4);
    expect(cookies.scans).toBe(1);
  });

  it('refuses more chunks than the limit and clears only the allowed indices the request sent', () => {
    expect(readChunkedCookie('lk', parseCookies(packed), 4)).toBeNull();
    expect(readChunkedCookie('lk', parseCookies('lk.0=a; lk.1=b; lk.2=c; lk.3=d'), 4)).toBe('abcd');
    expect(
      readChunkedCookie('lk', parseCookies('lk.0=a; lk.1=b; lk.2=c; lk.3=d; lk.4=e'), 4),
    ).toBeNull();
    expect(clearChunkedCookie('lk', parseCookies(packed), false, 4)).toHaveLength(4);
    expect(clearChunkedCookie('lk', parseCookies('lk.1=x; lk.7=y'), false, 4)).toEqual([
      'lk.1=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
    ]);
  });

  it('fills chunks to the last byte: a value of exactly two chunks takes two cookies', () => {
    const attributes = { secure: false, maxAge: 60 };
    const room = 4000 - serializeCookie('lk.99', '', attributes).length;
    const lines = writeChunkedCookie('lk', 'x'.repeat(room * 2), attributes, new Map(), 4);
    expect(lines.map((line) => line.split('=')[0])).toEqual(['lk.0', 'lk.1']);
  });
});
