import { describe, expect, it } from 'vitest';
import { clearChunkedCookie, parseCookies, readChunkedCookie, writeChunkedCookie } from './cookies';

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
    const lines = writeChunkedCookie('lk', 'abc', { secure: false, maxAge: 60 }, new Map());
    expect(lines).toEqual(['lk=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60']);
  });

  it('splits a 14 kB value into chunks that each stay under 4096 bytes and reads it back', () => {
    const value = 'x'.repeat(14_000);
    const lines = writeChunkedCookie('__Host-lk', value, { secure: true, maxAge: 60 }, new Map());
    expect(lines.length).toBe(4);
    for (const line of lines) {
      expect(new TextEncoder().encode(line).length).toBeLessThan(4096);
      expect(line).toMatch(/; Secure$/);
    }
    expect(readChunkedCookie('__Host-lk', nextCookieHeader(new Map(), lines))).toBe(value);
  });

  it('deletes stale chunks when the value shrinks, and the single cookie when it grows', () => {
    const big = nextCookieHeader(
      new Map(),
      writeChunkedCookie('lk', 'y'.repeat(12_000), { secure: false }, new Map()),
    );
    expect([...big.keys()]).toEqual(['lk.0', 'lk.1', 'lk.2', 'lk.3']);
    const shrink = writeChunkedCookie('lk', 'small', { secure: false }, big);
    const after = nextCookieHeader(big, shrink);
    expect([...after.keys()]).toEqual(['lk']);
    expect(readChunkedCookie('lk', after)).toBe('small');
    const grow = nextCookieHeader(
      after,
      writeChunkedCookie('lk', 'z'.repeat(5000), { secure: false }, after),
    );
    expect([...grow.keys()].sort()).toEqual(['lk.0', 'lk.1']);
  });

  it('clears every chunk the request carried', () => {
    const cookies = parseCookies('lk.0=a; lk.1=b; other=c');
    expect(clearChunkedCookie('lk', cookies, false)).toEqual([
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
});
