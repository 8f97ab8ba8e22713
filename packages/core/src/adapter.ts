/**
 * `@latchkey/core/adapter`: the plumbing a framework adapter needs (Node request translation,
 * response parts, bodies, synchronous-when-possible results). Apps import `@latchkey/core`.
 *
 * @module @latchkey/core/adapter
 */
import { type Awaitable, andThen } from './awaitable';
import type { BearerRequirement, BearerVerifier, VerifiedToken } from './bearer';
import { requireAuth, requirePermission, requireRole, requireStepUp } from './guards';
import type { Permission } from './rbac';
import type { AuthContext } from './session-context';
import type { StepUpRequirement } from './step-up';

export { type Awaitable, isPromiseLike, whenReady } from './awaitable';
export { staticPrefix } from './forward';
export {
  fromNodeRequest,
  type NodeBody,
  type NodeBodyStream,
  type NodeRequestLike,
  type ResponseParts,
  responseParts,
} from './node';

/** A guard's decision for a framework request: a response refuses it, undefined lets it through. */
export type Decide<Request> = (request: Request) => Awaitable<Response | undefined>;

/** What core's guards read and write on a framework's request (Express's and Fastify's fit). */
export interface GuardedRequest {
  /** The HTTP method, for a DPoP proof's `htm`. */
  readonly method: string;
  /** The request's headers by lowercase name, as Node.js parses them. */
  readonly headers: {
    /** The `Authorization` header, which `requireBearer` verifies. */
    readonly authorization?: string | undefined;
    /** The DPoP proof of a DPoP-bound token (RFC 9449). */
    readonly dpop?: string | string[] | undefined;
    /** An app's step-up assertion for `requireBearer` (see `createBearerVerifier`). */
    readonly 'latchkey-step-up'?: string | string[] | undefined;
  };
  /** The verified access token, set by `requireBearer`. */
  bearer?: VerifiedToken;
}

/** An adapter's guard factories, each a framework handler over one of core's guards. */
export interface GuardFactories<Handler> {
  /**
   * Lets signed-in requests through. Signed out: a redirect to sign-in (returning to the page)
   * for page navigations, a 401 JSON error for API requests.
   */
  requireAuth(): Handler;
  /** Lets through sessions with `role`; signed out as `requireAuth`, else 403 `forbidden`. */
  requireRole(role: string): Handler;
  /** Lets through sessions whose roles grant `permission`; else 401, or 403 `forbidden`. */
  requirePermission(permission: Permission): Handler;
  /**
   * Lets through sessions authenticated at `acr` (or higher) and within `maxAge` seconds. Page
   * navigations are sent to step up and come back; API requests get 401 with the RFC 9470
   * challenge.
   */
  requireStepUp(requirement: StepUpRequirement): Handler;
  /**
   * For APIs: requires a valid JWT access token in `Authorization: Bearer ...` (or
   * `Authorization: DPoP ...` with its proof, when the verifier takes DPoP) meeting the
   * requirement (scopes, permissions, roles, acr, maxAge) and sets the request's `bearer`;
   * otherwise 401/403 with the RFC 6750 / RFC 9449 / RFC 9470 challenge. Needs no session
   * middleware.
   */
  requireBearer(verifier: BearerVerifier, requirement?: BearerRequirement): Handler;
}

/** Where a request says it was sent, as a framework reads it (behind a proxy, as trusted). */
export interface RequestTarget {
  /** `http` or `https`. */
  protocol: string;
  /** The `Host` (or trusted `X-Forwarded-Host`) header, as sent. */
  host: string | undefined;
  /** The path and query, as sent. */
  path: string;
}

/** A host name or IP literal with an optional port: nothing a client could slip a path into. */
const HOST = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/** The absolute URL of a request target; undefined when its host is no plain host name. */
function urlOf({ protocol, host, path }: RequestTarget): string | undefined {
  return host && HOST.test(host) && path.startsWith('/')
    ? `${protocol}://${host}${path}`
    : undefined;
}

/**
 * The guard factories of an adapter: `guard` turns a decision into its framework's handler (a
 * refusal is sent, else the request goes on), `authOf` finds a request's auth context (and says
 * what to mount when there is none), `targetOf` says where the client sent the request (read only
 * for a DPoP proof's `htu`).
 */
export function guardFactories<Handler, Request extends GuardedRequest>(
  guard: (decide: Decide<Request>) => Handler,
  authOf: (request: Request) => AuthContext,
  targetOf: (request: Request) => RequestTarget,
): GuardFactories<Handler> {
  return {
    requireAuth: () => guard((request) => requireAuth(authOf(request))),
    requireRole: (role) => guard((request) => requireRole(authOf(request), role)),
    requirePermission: (permission) =>
      guard((request) => requirePermission(authOf(request), permission)),
    requireStepUp: (requirement) => guard((request) => requireStepUp(authOf(request), requirement)),
    requireBearer: (verifier, requirement = {}) =>
      guard((request) => {
        const { authorization, dpop, 'latchkey-step-up': assertion } = request.headers;
        const url = dpop === undefined ? undefined : urlOf(targetOf(request));
        const verified = verifier.authenticate(
          {
            authorization,
            dpop,
            method: request.method,
            ...(url === undefined ? {} : { url }),
            stepUpAssertion: typeof assertion === 'string' ? assertion : undefined,
          },
          requirement,
        );
        return andThen(verified, (result) => {
          if (result.token) request.bearer = result.token;
          return result.response;
        });
      }),
  };
}
