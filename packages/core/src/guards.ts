import type { Emit } from './audit';
import type { ResolvedConfig } from './config';
import { ErrorCodes, LatchkeyError } from './errors';
import { can, hasRole, type Permission } from './rbac';
import { type HttpRequest, wantsJson } from './request';
import { errorAnswer, redirectResponse } from './responses';
import { type AuthContext, linkOf } from './session-context';
import { type StepUpRequirement, stepUpRequired, unmetStepUp } from './step-up';

/**
 * Route guards: each answers undefined to let a request through, or the response that stops it
 * (a redirect for page navigations, a typed JSON error for API calls).
 */
export class Guards {
  constructor(
    private readonly config: ResolvedConfig,
    /** latchkey's routes the guards send browsers to, e.g. `/auth/login`. */
    private readonly paths: { login: string; stepUp: string },
    private readonly emit: Emit,
  ) {}

  /** A same-origin redirect to one of latchkey's routes, with `returnTo` set to this request. */
  private redirectTo(path: string, request: HttpRequest, params: [string, string][] = []) {
    const url = new URL(request.url);
    const target = new URL(path, this.config.baseUrl);
    for (const [name, value] of params) target.searchParams.set(name, value);
    target.searchParams.set('returnTo', `${url.pathname}${url.search}`);
    return redirectResponse(`${target.pathname}${target.search}`, 302);
  }

  /**
   * Signed in: undefined when the request has a session; otherwise a 401 JSON error for API
   * requests, or a redirect to sign-in (returning to this page) for navigations.
   */
  requireAuth(context: AuthContext): Response | undefined {
    if (context.session) return undefined;
    const { request } = context;
    const problem =
      context.problem ??
      new LatchkeyError(ErrorCodes.unauthenticated, 'Sign in to access this resource.');
    if (wantsJson(request) || request.method.toUpperCase() !== 'GET')
      return errorAnswer(problem, request, this.config.errorPage);
    return this.redirectTo(this.paths.login, request);
  }

  /** Signed in with `role`; 401 when signed out (see requireAuth), 403 `forbidden` otherwise. */
  requireRole(context: AuthContext, role: string): Response | undefined {
    return this.requireGrant(context, hasRole(context.session, role), { role });
  }

  /** Signed in with `permission` (through the policy); 401 when signed out, 403 `forbidden` otherwise. */
  requirePermission(context: AuthContext, permission: Permission): Response | undefined {
    return this.requireGrant(context, can(context.session, permission), { permission });
  }

  /** Signed in, and `granted` the one role or permission named; else 401, or 403 with an event. */
  private requireGrant(
    context: AuthContext,
    granted: boolean,
    needed: { role: string } | { permission: Permission },
  ): Response | undefined {
    const unauthenticated = this.requireAuth(context);
    if (unauthenticated) return unauthenticated;
    if (granted) return undefined;
    this.emit({ type: 'access_denied', sub: context.session!.user.sub, ...needed });
    const [kind, name] =
      'role' in needed ? ['role', needed.role] : ['permission', needed.permission];
    return errorAnswer(
      new LatchkeyError(ErrorCodes.forbidden, `The ${kind} '${name}' is required.`),
      context.request,
      this.config.errorPage,
    );
  }

  /**
   * Signed in at `acr` or higher and/or within `maxAge` seconds. A page navigation (GET) is
   * redirected to the step-up route and returns here; an API request gets 401 with the RFC 9470
   * `WWW-Authenticate` challenge.
   */
  requireStepUp(context: AuthContext, requirement: StepUpRequirement): Response | undefined {
    const { request } = context;
    const levels = this.config.acrLevels;
    if (requirement.acr !== undefined && !levels.includes(requirement.acr)) {
      // A guard no session could ever pass: say what to configure, signed in or not.
      const listed = levels.length > 0 ? levels.map((level) => `'${level}'`).join(', ') : 'none';
      return errorAnswer(
        new LatchkeyError(
          ErrorCodes.configInvalid,
          `requireStepUp asks for acr '${requirement.acr}', which acrLevels does not list (it lists ${listed}): add it to createLatchkey({ acrLevels: [...] }), lowest level first.`,
        ),
        request,
        this.config.errorPage,
      );
    }
    const unauthenticated = this.requireAuth(context);
    if (unauthenticated) return unauthenticated;
    const unmet = unmetStepUp(
      context.session!,
      requirement,
      levels,
      Math.floor(this.config.now() / 1000),
      this.config.clockTolerance,
    );
    if (!unmet) return undefined;
    this.emit({
      type: 'step_up',
      sub: context.session!.user.sub,
      ...(requirement.acr ? { acr: requirement.acr } : {}),
      ...(requirement.maxAge !== undefined ? { maxAge: requirement.maxAge } : {}),
    });
    if (!wantsJson(request) && request.method.toUpperCase() === 'GET') {
      const params: [string, string][] = [];
      if (requirement.acr) params.push(['acr', requirement.acr]);
      if (requirement.maxAge !== undefined) params.push(['max_age', String(requirement.maxAge)]);
      return this.redirectTo(this.paths.stepUp, request, params);
    }
    return errorAnswer(stepUpRequired(requirement, unmet), request, this.config.errorPage);
  }
}

/**
 * Lets a signed-in request through (undefined); otherwise the answer that stops it: a redirect to
 * sign-in (returning to the page) for page navigations, a 401 JSON error for API requests.
 */
export function requireAuth(auth: AuthContext): Response | undefined {
  return linkOf(auth).guards.requireAuth(auth);
}

/** Lets a session with `role` through; signed out as {@link requireAuth}, else 403 `forbidden`. */
export function requireRole(auth: AuthContext, role: string): Response | undefined {
  return linkOf(auth).guards.requireRole(auth, role);
}

/** Lets a session whose roles grant `permission` through; else 401 or 403 `forbidden`. */
export function requirePermission(auth: AuthContext, permission: Permission): Response | undefined {
  return linkOf(auth).guards.requirePermission(auth, permission);
}

/**
 * Lets a session authenticated at `acr` (or higher) and within `maxAge` seconds through. Page
 * navigations are sent to step up and come back; API requests get 401 with the RFC 9470 challenge.
 */
export function requireStepUp(
  auth: AuthContext,
  requirement: StepUpRequirement,
): Response | undefined {
  return linkOf(auth).guards.requireStepUp(auth, requirement);
}
