/**
 * Step-up authentication: a route demands an authentication level (`acr`) and/or a recent
 * authentication (`maxAge`); a session below it re-authenticates at the IdP (RFC 9470 for APIs).
 */
import { acrSatisfies } from './acr';
import { ErrorCodes, LatchkeyError } from './errors';
import type { StepUpTransaction } from './transaction';

/** What a route demands. */
export interface StepUpRequirement {
  /** The lowest acceptable level; a higher level in the configured order satisfies it too. */
  acr?: string | undefined;
  /** The last authentication must be at most this many seconds old. */
  maxAge?: number | undefined;
}

/** The parts of a session or token that step-up reads. */
export interface Authentication {
  /** The authentication level reached (`acr`), if known; compared in the configured level order. */
  acr: string | undefined;
  /** Entra ID's authentication contexts met (`acrs` claim); any of them may satisfy `acr`. */
  acrs?: readonly string[] | undefined;
  /** Epoch seconds. */
  authTime: number | undefined;
}

/**
 * The `auth_time` claim as latchkey uses it: epoch seconds, or undefined when absent or not after
 * the epoch (some IdPs send 0 for "unknown"; it is shown as unknown and fails `maxAge` closed).
 */
export function authTimeOf(claims: Record<string, unknown>): number | undefined {
  const value = claims.auth_time;
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/** Why an authentication does not meet a requirement, or undefined when it does. */
export function unmetStepUp(
  auth: Authentication,
  requirement: StepUpRequirement,
  levels: readonly string[],
  nowSeconds: number,
  clockTolerance: number,
): string | undefined {
  const wanted = requirement.acr;
  if (
    wanted &&
    ![auth.acr, ...(auth.acrs ?? [])].some((acr) => acrSatisfies(acr, wanted, levels))
  ) {
    return `authentication level ${requirement.acr} or higher is required`;
  }
  if (requirement.maxAge !== undefined) {
    // A missing auth_time fails closed.
    if (auth.authTime === undefined) return 'the time of the last authentication is unknown';
    if (auth.authTime + requirement.maxAge + clockTolerance < nowSeconds) {
      return `an authentication within the last ${requirement.maxAge} seconds is required`;
    }
  }
  return undefined;
}

/** An auth-param value as an RFC 9110 quoted-string (double quotes and backslashes left out). */
export const quote = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

/**
 * The RFC 9470 section 3 challenge: `Bearer error="insufficient_user_authentication",
 * error_description="...", acr_values="...", max_age=...`.
 */
export function stepUpChallenge(requirement: StepUpRequirement, description: string): string {
  const parts = [
    `error="insufficient_user_authentication"`,
    `error_description=${quote(description)}`,
  ];
  if (requirement.acr) parts.push(`acr_values=${quote(requirement.acr)}`);
  if (requirement.maxAge !== undefined) parts.push(`max_age=${Math.floor(requirement.maxAge)}`);
  return `Bearer ${parts.join(', ')}`;
}

/**
 * The 401 `insufficient_user_authentication` for a requirement a session or token does not meet
 * (`unmet` says how), with its RFC 9470 challenge.
 */
export function stepUpRequired(
  requirement: StepUpRequirement,
  unmet: string,
  lead = 'Step-up required',
): LatchkeyError {
  const description = `${lead}: ${unmet}`;
  return new LatchkeyError(ErrorCodes.insufficientUserAuthentication, `${description}.`, {
    challenge: stepUpChallenge(requirement, description),
  });
}

/**
 * The requirement of a `GET /auth/step-up?acr=...&max_age=...` request: `acr` one of the
 * configured `levels`, `max_age` whole seconds, at least one of them. Anything else is a 400.
 */
export function stepUpQuery(query: URLSearchParams, levels: readonly string[]): StepUpRequirement {
  const acr = query.get('acr') ?? undefined;
  const maxAgeText = query.get('max_age');
  if (acr !== undefined && !levels.includes(acr)) {
    throw new LatchkeyError(
      ErrorCodes.invalidRequest,
      `Unknown authentication level '${acr}': it is not one of the configured acrLevels.`,
    );
  }
  if (maxAgeText !== null && !/^\d{1,9}$/.test(maxAgeText)) {
    throw new LatchkeyError(
      ErrorCodes.invalidRequest,
      'max_age must be a whole number of seconds.',
    );
  }
  if (acr === undefined && maxAgeText === null) {
    throw new LatchkeyError(ErrorCodes.invalidRequest, 'A step-up needs acr, max_age or both.');
  }
  return { acr, maxAge: maxAgeText === null ? undefined : Number(maxAgeText) };
}

/**
 * Checks the new authentication of a step-up at the callback: the same user as the session being
 * upgraded, at the level and freshness asked for. Throws `step_up_failed` otherwise (the original
 * session is then left as it was).
 */
export function verifyStepUp(
  auth: Authentication & { sub: string },
  stepUp: StepUpTransaction,
  levels: readonly string[],
  nowSeconds: number,
  clockTolerance: number,
): void {
  if (stepUp.sub !== undefined && auth.sub !== stepUp.sub) {
    throw new LatchkeyError(
      ErrorCodes.stepUpFailed,
      'The step-up was completed by a different user; the original session is unchanged.',
    );
  }
  const unmet = unmetStepUp(auth, stepUp, levels, nowSeconds, clockTolerance);
  if (unmet) {
    throw new LatchkeyError(
      ErrorCodes.stepUpFailed,
      `The step-up did not reach what was asked: ${unmet}.`,
    );
  }
}
