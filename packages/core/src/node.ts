import type { IncomingMessage } from 'node:http';
import { ErrorCodes, LatchkeyError } from './errors';
import { encodeParsedBody } from './forward';
import type { Latchkey } from './latchkey';
import { BODY_LIMIT, type HttpRequest, payloadTooLarge } from './request';
import { slashAt } from './routes';

/** The parts of a Node.js `IncomingMessage` latchkey reads. */
export interface NodeRequestLike {
  /** The HTTP method, in any case; `GET` when absent. */
  method?: string | undefined;
  /** Path and query, as in `IncomingMessage.url` (Express: `originalUrl`). */
  url?: string | undefined;
  /** Headers by lowercase name, as in `IncomingMessage.headers` (repeated ones as arrays). */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A Web `Request` for a Node.js request. The origin always comes from the configured base URL,
 * never from the `Host` header. The body is `body`, if given: the stream is not read.
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
  // A path such as `//host/x` must not become a URL of another host.
  return new Request(`${baseUrl.origin}/${path.replace(/^\/+/, '')}`, init);
}

/** The parts of a Node.js request stream `readNodeBody` uses. */
export type NodeBodyStream = Pick<IncomingMessage, 'headers' | 'on' | 'off' | 'resume'>;

/**
 * Reads a request body as UTF-8 text: `undefined` when it is over `limit` bytes (the rest is
 * discarded so the connection can serve its next request). Rejects with `request_timeout` when
 * the whole body has not arrived within `timeoutMs` (a slow client must not hold the request for
 * Node's 300 s), and with `request_aborted` when the client goes away first (its answer goes to
 * a closed socket: nobody is left to read it).
 */
function readNodeBody(
  stream: NodeBodyStream,
  limit: number,
  timeoutMs: number,
): Promise<string | undefined> {
  if (Number(stream.headers['content-length']) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      stream.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      settle();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else
        finish(() => {
          stream.resume(); // discard the rest, so that the connection can serve its next request
          resolve(undefined);
        });
    };
    const onEnd = () => finish(() => resolve(Buffer.concat(chunks).toString('utf8')));
    const onAbort = () =>
      finish(() =>
        reject(
          new LatchkeyError(
            ErrorCodes.requestAborted,
            'The client closed the request before its body ended.',
          ),
        ),
      );
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new LatchkeyError(
              ErrorCodes.requestTimeout,
              `The request body did not arrive within ${timeoutMs} ms (bodyTimeout).`,
            ),
          ),
        ),
      timeoutMs,
    );
    stream.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
  });
}

/** A Web `Response` taken apart for a Node framework's reply. */
export interface ResponseParts {
  /** The HTTP status code. */
  status: number;
  /** Every header but `Set-Cookie`. */
  headers: Array<[string, string]>;
  /** Each `Set-Cookie` line, in order. */
  setCookies: string[];
  /** The body, or undefined when there is none. */
  body: Buffer | undefined;
}

/** Splits a Web `Response` into what a Node framework sets on its reply. */
export async function responseParts(response: Response): Promise<ResponseParts> {
  const headers: Array<[string, string]> = [];
  for (const [name, value] of response.headers)
    if (name !== 'set-cookie') headers.push([name, value]);
  return {
    status: response.status,
    headers,
    setCookies: response.headers.getSetCookie(),
    body: response.body === null ? undefined : Buffer.from(await response.arrayBuffer()),
  };
}

/** Header lookup over a Node.js header object, without copying it. */
class NodeHeaders {
  constructor(private readonly raw: NodeRequestLike['headers']) {}

  get(name: string): string | null {
    const key = name.toLowerCase();
    const value = this.raw[key];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(key === 'cookie' ? '; ' : ', ') : value;
  }
}

/**
 * Where the body of a Node request is: its stream, unless a body parser mounted before the adapter
 * consumed it and left the result in `parsed()` (Express `req.body`, Fastify `request.body`).
 */
export interface NodeBody {
  /**
   * The Node request (Express `req`, Fastify `request.raw`), read for the body unless a parser
   * consumed it.
   */
  readonly stream: NodeBodyStream & {
    /** Node's flag: the stream has ended (a parser read it all). */
    readableEnded?: boolean;
    /** Node's flag: something read from the stream (a parser consumed it). */
    readableDidRead?: boolean;
  };
  /**
   * Returns what a body parser left (Express `req.body`, Fastify `request.body`); called only when
   * the stream was consumed.
   */
  readonly parsed?: () => unknown;
}

class NodeHttpRequest implements HttpRequest {
  readonly headers: NodeHeaders;
  private read: Promise<string> | undefined;

  constructor(
    readonly method: string,
    readonly url: string,
    headers: NodeRequestLike['headers'],
    private readonly body: NodeBody | undefined,
    private readonly timeoutMs: number,
  ) {
    this.headers = new NodeHeaders(headers);
  }

  /** Read on first use, once: most requests never need their body. */
  text(): Promise<string> {
    this.read ??= this.body
      ? nodeBody(this.body.stream, this.body.parsed, this.timeoutMs)
      : Promise.resolve('');
    return this.read;
  }
}

/**
 * The body of a Node request as text: what a body parser mounted before left in `parsed()` when
 * the stream was consumed (encoded as its `Content-Type` says), else the stream itself, at most
 * 64 KiB (`BODY_LIMIT`) within `timeoutMs`. Rejects with `payload_too_large` beyond the limit,
 * and as `readNodeBody` does (timeout, client gone): core's routes and `forward` answer those.
 */
async function nodeBody(
  stream: NodeBody['stream'],
  parsed: (() => unknown) | undefined,
  timeoutMs: number,
): Promise<string> {
  // Express 4's parsers set `req.body = {}` even for types they skip: only a consumed stream
  // means that the parsed body is the body.
  const consumed = stream.readableEnded || stream.readableDidRead;
  const type = stream.headers['content-type'];
  const body = consumed
    ? encodeParsedBody(parsed?.(), Array.isArray(type) ? type[0] : type)
    : await readNodeBody(stream, BODY_LIMIT, timeoutMs);
  if (body === undefined) throw payloadTooLarge();
  return body;
}

/** Origins of base URLs (`URL.origin` builds a new string on each read). */
const origins = new WeakMap<URL, string>();

/**
 * The {@link HttpRequest} of a Node.js request for `instance`, light enough for adapters' hot
 * path: headers are read from the Node object on demand, nothing is copied, and the origin is the
 * instance's base URL (never the `Host` header). The body is read only when core needs it (its
 * POST routes, `forward`), within the instance's `bodyTimeout` and its 64 KiB body limit.
 */
export function fromNodeRequest(
  instance: Latchkey,
  request: NodeRequestLike,
  body?: NodeBody,
): HttpRequest {
  const { baseUrl, bodyTimeout } = instance.config;
  let origin = origins.get(baseUrl);
  if (origin === undefined) {
    origin = baseUrl.origin;
    origins.set(baseUrl, origin);
  }
  const path = request.url?.startsWith('/') ? request.url : '/';
  // A path such as `//host/x` must not become a URL of another host.
  const url = slashAt(path, 1) ? `${origin}/${path.replace(/^\/+/, '')}` : origin + path;
  const method = (request.method ?? 'GET').toUpperCase();
  return new NodeHttpRequest(method, url, request.headers, body, bodyTimeout);
}
