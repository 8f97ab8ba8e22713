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

/** Parses a `Cookie` request header into a name-to-value map (first occurrence wins). */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (!name || cookies.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    cookies.set(name, value);
  }
  return cookies;
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

/** Names of the chunks of `name` present in the request, in order, plus the unchunked cookie. */
function presentParts(name: string, cookies: Map<string, string>): string[] {
  const names: string[] = [];
  if (cookies.has(name)) names.push(name);
  for (let index = 0; cookies.has(chunkName(name, index)); index++)
    names.push(chunkName(name, index));
  return names;
}

/**
 * Reads a value written by {@link writeChunkedCookie}: the single cookie `name`, or the chunks
 * `name.0`, `name.1`, ... joined in order.
 */
export function readChunkedCookie(name: string, cookies: Map<string, string>): string | undefined {
  const single = cookies.get(name);
  if (single !== undefined) return single;
  if (!cookies.has(chunkName(name, 0))) return undefined;
  let value = '';
  for (let index = 0; ; index++) {
    const part = cookies.get(chunkName(name, index));
    if (part === undefined) return value;
    value += part;
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
  cookies: Map<string, string>,
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
  for (const stale of presentParts(name, cookies)) {
    if (!written.has(stale)) lines.push(expireCookie(stale, attributes.secure));
  }
  return lines;
}

/** `Set-Cookie` lines that delete `name` and every chunk of it the request carried. */
export function clearChunkedCookie(
  name: string,
  cookies: Map<string, string>,
  secure: boolean,
): string[] {
  return presentParts(name, cookies).map((part) => expireCookie(part, secure));
}
