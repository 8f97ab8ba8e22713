import { ErrorCodes, LatchkeyError } from './errors';
import { type HttpRequest, readBody } from './request';
import { type ErrorPage, errorAnswer } from './responses';

/** Answers one of latchkey's routes: a GET. */
export type RouteHandler = (request: HttpRequest) => Promise<Response>;

/** Answers one of latchkey's routes: a POST, with its body (a form). */
export type PostHandler = (request: HttpRequest, body: string) => Promise<Response>;

/** latchkey's routes by path below the routes' base path (`/login`), each with its methods. */
export type RouteTable = Readonly<
  Record<string, Readonly<{ GET?: RouteHandler; POST?: PostHandler }>>
>;

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
  constructor(
    /** The path under which the routes live, e.g. `/auth` (plus the base URL's path). */
    readonly basePath: string,
    private readonly table: RouteTable,
    /** The app's own error pages, for page navigations. */
    private readonly errorPage?: ErrorPage,
  ) {}

  /** The route a request is for (`/login`), or undefined when it is not one of latchkey's. */
  routeOf(request: HttpRequest): string | undefined {
    const url = request.url;
    const start = pathStart(url);
    const prefix = this.basePath;
    // Most requests are not latchkey's: they fail at the first comparison, before any slicing.
    if (start === -1 || !url.startsWith(prefix, start)) return undefined;
    const from = start + prefix.length;
    if (!slashAt(url, from)) return undefined;
    const rest = url.slice(from);
    const end = rest.search(/[?#]/);
    const route = end === -1 ? rest : rest.slice(0, end);
    return Object.hasOwn(this.table, route) ? route : undefined;
  }

  /**
   * Answers the request when it is for one of the routes, undefined otherwise. Never throws:
   * failures become the error response for the request (JSON or HTML).
   */
  async handle(request: HttpRequest): Promise<Response | undefined> {
    const route = this.routeOf(request);
    if (route === undefined) return undefined;
    const methods = this.table[route]!;
    const method = request.method.toUpperCase();
    try {
      // A POST's body is read whole (bounded, and within bodyTimeout for Node requests) before it
      // is answered: 413 or 408 come from here, for every adapter alike.
      if (method === 'POST' && methods.POST)
        return await methods.POST(request, await readBody(request));
      if (method === 'GET' && methods.GET) return await methods.GET(request);
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
