// `@latchkey/core/adapter`: the plumbing a framework adapter needs (Node request translation,
// response parts, bodies, synchronous-when-possible results). Apps import `@latchkey/core`.
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

/** What a guard decides for a request's auth context: undefined lets it through. */
export type Decide = (auth: AuthContext) => Response | undefined;

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
}

/** The guard factories of an adapter whose `guard` turns a decision into its framework's handler. */
export function guardFactories<Handler>(
  guard: (decide: Decide) => Handler,
): GuardFactories<Handler> {
  return {
    requireAuth: () => guard(requireAuth),
    requireRole: (role) => guard((auth) => requireRole(auth, role)),
    requirePermission: (permission) => guard((auth) => requirePermission(auth, permission)),
    requireStepUp: (requirement) => guard((auth) => requireStepUp(auth, requirement)),
  };
}
