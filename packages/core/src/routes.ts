import { ErrorCodes, LatchkeyError } from './errors';
import { type HttpRequest, readBody } from './request';
import { type ErrorPage, errorAnswer } from './responses';

/** The methods latchkey's routes answer. */
export type RouteMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** What a route's handler gets besides the request. */
export interface RouteInput {
  /** The body, read whole for POST and PATCH (at most 64 KiB); '' for other methods. */
  readonly body: string;
  /** The values of the path's `:name` segments, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
}

/** Answers one of latchkey's routes. */
export type RouteHandler = (request: HttpRequest, input: RouteInput) => Promise<Response>;

/**
 * latchkey's routes by path below the routes' base path (`/login`, `/passkeys/:id`), each with its
 * methods. A `:name` segment matches one non-empty path segment.
 */
export type RouteTable = Readonly<
  Record<string, Readonly<Partial<Record<RouteMethod, RouteHandler>>>>
>;

/** A request's route: its path in the table, and the values of its `:name` segments. */
export interface RouteMatch {
  readonly route: string;
  readonly params: Readonly<Record<string, string>>;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** The values of `pattern`'s `:name` segments in `path`, or undefined when it does not match. */
function matchPattern(
  pattern: readonly string[],
  path: string,
): Record<string, string> | undefined {
  const segments = path.split('/');
  if (segments.length !== pattern.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = segments[i]!;
    if (!want.startsWith(':')) {
      if (want !== got) return undefined;
      continue;
    }
    let value: string;
    try {
      value = decodeURIComponent(got);
    } catch {
      return undefined;
    }
    if (!value || value.includes('/')) return undefined;
    params[want.slice(1)] = value;
  }
  return params;
}

/**
 * True when `text` has a `/` at `index`: a character code compared, no one-character string built.
 * It runs on every request (`owns()`, `fromNodeRequest`): bench row "Express: latchkey
 * `requireAuth()`, stateless cookie session".
 */
export const slashAt = (text: string, index: number): boolean => text.charCodeAt(index) === 47;

/** Where the path of an absolute URL starts, without parsing it (this runs on every request). */
const pathStart = (url: string) => url.indexOf('/', url.indexOf('//') + 2);

/**
 * latchkey's own routes (`/auth/login`, ...) under one base path: which requests they claim, and
 * the dispatch to their handlers with 405 for other methods.
 */
export class Routes {
  /** The routes with `:name` segments, split into segments once. */
  private readonly patterns: Array<{ route: string; segments: string[] }>;

  constructor(
    /** The path under which the routes live, e.g. `/auth` (plus the base URL's path). */
    readonly basePath: string,
    private readonly table: RouteTable,
    /** The app's own error pages, for page navigations. */
    private readonly errorPage?: ErrorPage,
  ) {
    this.patterns = Object.keys(table)
      .filter((route) => route.includes('/:'))
      .map((route) => ({ route, segments: route.split('/') }));
  }

  /** The route a request is for (`/login`), or undefined when it is not one of latchkey's. */
  routeOf(request: HttpRequest): string | undefined {
    return this.match(request)?.route;
  }

  /** The route a request is for, with its parameters; undefined when it is not latchkey's. */
  match(request: HttpRequest): RouteMatch | undefined {
    const url = request.url;
    const start = pathStart(url);
    const prefix = this.basePath;
    // Most requests are not latchkey's: they fail at the first comparison, before any slicing.
    if (start === -1 || !url.startsWith(prefix, start)) return undefined;
    const from = start + prefix.length;
    if (!slashAt(url, from)) return undefined;
    const rest = url.slice(from);
    const end = rest.search(/[?#]/);
    const path = end === -1 ? rest : rest.slice(0, end);
    if (Object.hasOwn(this.table, path)) return { route: path, params: NO_PARAMS };
    for (const { route, segments } of this.patterns) {
      const params = matchPattern(segments, path);
      if (params) return { route, params };
    }
    return undefined;
  }

  /**
   * Answers the request when it is for one of the routes, undefined otherwise. Never throws:
   * failures become the error response for the request (JSON or HTML).
   */
  async handle(request: HttpRequest): Promise<Response | undefined> {
    const match = this.match(request);
    if (match === undefined) return undefined;
    const methods = this.table[match.route]!;
    const method = request.method.toUpperCase() as RouteMethod;
    const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
    try {
      if (handler) {
        // A body is read whole (bounded, and within bodyTimeout for Node requests) before it is
        // answered: 413 or 408 come from here, for every adapter alike.
        const body = method === 'POST' || method === 'PATCH' ? await readBody(request) : '';
        return await handler(request, { body, params: match.params });
      }
      const allow = Object.keys(methods).join(', ');
      const response = errorAnswer(
        new LatchkeyError(ErrorCodes.methodNotAllowed, `This route only answers ${allow}.`),
        request,
        this.errorPage,
      );
      response.headers.set('allow', allow);
      return response;
    } catch (error) {
      return errorAnswer(error, request, this.errorPage);
    }
  }
}
