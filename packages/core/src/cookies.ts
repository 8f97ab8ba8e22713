/** Attributes of every cookie latchkey writes. */
export interface CookieAttributes {
  /** Adds `Secure` (always true when the base URL is https). */
  secure: boolean;
  /** Seconds until the browser drops the cookie; omitted for a browser-session cookie. */
  maxAge?: number;
}

/**
 * Browsers keep at most 4096 bytes of name, value and attributes per cookie; stay under it with
 * room to spare.
 */
const MAX_SET_COOKIE_BYTES = 4000;

/** The cookies of a request by name (a `Map` of them is one). */
export interface CookieReader {
  get(name: string): string | undefined;
  has(name: string): boolean;
}

const unquote = (value: string) =>
  value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;

/**
 * A `Cookie` request header, parsed on first use in one pass over the header (never again for the
 * same request, however many cookies are looked up). The first occurrence of a name wins; names
 * and values are trimmed, and values lose surrounding double quotes.
 */
export class CookieHeader implements CookieReader {
  private parsed: Map<string, string> | undefined;

  constructor(private readonly header: string) {}

  /** Splits the header into its cookies: the one walk over it for this request. */
  protected scan(): Map<string, string> {
    const cookies = new Map<string, string>();
    const header = this.header;
    // The next `=` at or after `start`; searched again only once passed, so the walk stays linear.
    let eq = -1;
    for (let start = 0; start < header.length; ) {
      let end = header.indexOf(';', start);
      if (end === -1) end = header.length;
      if (eq < start) {
        eq = header.indexOf('=', start);
        if (eq === -1) break;
      }
      if (eq < end) {
        const name = header.slice(start, eq).trim();
        if (name && !cookies.has(name))
          cookies.set(name, unquote(header.slice(eq + 1, end).trim()));
      }
      start = end + 1;
    }
    return cookies;
  }

  private cookies(): Map<string, string> {
    this.parsed ??= this.header ? this.scan() : new Map();
    return this.parsed;
  }

  get(name: string): string | undefined {
    return this.cookies().get(name);
  }

  has(name: string): boolean {
    return this.cookies().has(name);
  }

  /** Every cookie name in the header, once each, in order. */
  names(): string[] {
    return [...this.cookies().keys()];
  }
}

/** The cookies of a `Cookie` request header (read on demand, see {@link CookieHeader}). */
export function parseCookies(header: string | null | undefined): CookieHeader {
  return new CookieHeader(header ?? '');
}

/** Serializes one `Set-Cookie` line: HttpOnly, SameSite=Lax, Path=/ always. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  let line = `${name}=${value}; Path=/; HttpOnly; SameSite=Lax`;
  if (attributes.maxAge !== undefined)
    line += `; Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`;
  if (attributes.secure) line += '; Secure';
  return line;
}

/** A `Set-Cookie` line that deletes the cookie. */
export function expireCookie(name: string, secure: boolean): string {
  return serializeCookie(name, '', { secure, maxAge: 0 });
}

const chunkName = (name: string, index: number) => `${name}.${index}`;

/** What a chunk's `Set-Cookie` line costs besides its value, at the longest attributes. */
const chunkOverhead = (name: string) =>
  serializeCookie(chunkName(name, 99), '', { secure: true, maxAge: 9_999_999_999 }).length;

/**
 * The most chunks a value of at most `maxBytes` takes under `name`: requests that carry more are
 * refused unread, and only these chunk indices are ever cleared (a header packed with hundreds of
 * chunk names costs no more than the real ones).
 */
export function chunkLimit(name: string, maxBytes: number): number {
  return Math.max(1, Math.ceil(maxBytes / (MAX_SET_COOKIE_BYTES - chunkOverhead(name))));
}

/** Names of the chunks of `name` present in the request (at most `maxChunks`), plus the unchunked cookie. */
function presentParts(name: string, cookies: CookieReader, maxChunks: number): string[] {
  const names: string[] = [];
  if (cookies.has(name)) names.push(name);
  for (let index = 0; index < maxChunks; index++) {
    if (cookies.has(chunkName(name, index))) names.push(chunkName(name, index));
  }
  return names;
}

/**
 * Reads a value written by {@link writeChunkedCookie}: the single cookie `name`, or the chunks
 * `name.0`, `name.1`, ... joined in order. `null` when the request carries more than `maxChunks`
 * chunks: no value that latchkey wrote is that large.
 */
export function readChunkedCookie(
  name: string,
  cookies: CookieReader,
  maxChunks: number,
): string | null | undefined {
  const single = cookies.get(name);
  if (single !== undefined) return single;
  let value: string | undefined;
  for (let index = 0; ; index++) {
    const part = cookies.get(chunkName(name, index));
    if (part === undefined) return value;
    if (index >= maxChunks) return null;
    value = (value ?? '') + part;
  }
}

/**
 * `Set-Cookie` lines that store `value` under `name`, split into chunks that each stay under the
 * browser's 4096-byte limit, and that delete any chunk of an earlier, larger value that the new
 * one no longer uses.
 */
export function writeChunkedCookie(
  name: string,
  value: string,
  attributes: CookieAttributes,
  cookies: CookieReader,
  maxChunks: number,
): string[] {
  const overhead = serializeCookie(chunkName(name, 99), '', attributes).length;
  const room = MAX_SET_COOKIE_BYTES - overhead;
  const lines: string[] = [];
  const written = new Set<string>();
  if (value.length + overhead - 3 <= MAX_SET_COOKIE_BYTES) {
    lines.push(serializeCookie(name, value, attributes));
    written.add(name);
  } else {
    for (let index = 0, offset = 0; offset < value.length; index++, offset += room) {
      const part = chunkName(name, index);
      lines.push(serializeCookie(part, value.slice(offset, offset + room), attributes));
      written.add(part);
    }
  }
  for (const stale of presentParts(name, cookies, maxChunks)) {
    if (!written.has(stale)) lines.push(expireCookie(stale, attributes.secure));
  }
  return lines;
}

/** `Set-Cookie` lines that delete `name` and each of its first `maxChunks` chunks the request carried. */
export function clearChunkedCookie(
  name: string,
  cookies: CookieReader,
  secure: boolean,
  maxChunks: number,
): string[] {
  return presentParts(name, cookies, maxChunks).map((part) => expireCookie(part, secure));
}
