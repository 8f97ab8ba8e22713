/** The parts of a Node.js `IncomingMessage` latchkey reads. */
export interface NodeRequestLike {
  method?: string | undefined;
  /** Path and query, as in `IncomingMessage.url` (Express: `originalUrl`). */
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A Web `Request` for a Node.js request. The origin always comes from the configured base URL,
 * never from the `Host` header. The body is not read: latchkey's routes that take one receive it
 * from the adapter.
 */
export function toWebRequest(request: NodeRequestLike, baseUrl: URL, body?: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const path = request.url?.startsWith('/') ? request.url : '/';
  const method = (request.method ?? 'GET').toUpperCase();
  const init: RequestInit = { method, headers };
  if (body !== undefined && method !== 'GET' && method !== 'HEAD') init.body = body;
  return new Request(new URL(path, baseUrl.origin), init);
}
