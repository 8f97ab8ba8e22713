/**
 * Reading `WWW-Authenticate` challenges (RFC 9110 section 11.6.1): the RFC 9470 step-up challenge
 * that `stepUpChallenge` writes, as a browser (or a BFF) receives it from an API.
 */

/** The step-up an API asked for in an RFC 9470 `WWW-Authenticate` challenge. */
export interface StepUpChallenge {
  /** `acr_values`, most preferred first (RFC 9470 section 3: space-separated). */
  acrValues: string[];
  /** `max_age` in seconds, when the challenge has one. */
  maxAge?: number;
  /** `error_description`, when the challenge has one. */
  description?: string;
}

/**
 * One auth-param (`name=token` or `name="quoted \\"string\\""`), or a bare name: the auth-scheme
 * that starts the next challenge. Anything else (commas, spaces, stray characters) is skipped.
 */
const AUTH_PARAM = /([^\s,="]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^\s,]*)))?/g;

/** Splits a `WWW-Authenticate` value into challenges (RFC 9110 section 11.6.1), leniently. */
function parseChallenges(header: string): Map<string, string>[] {
  const challenges: Map<string, string>[] = [];
  for (const [, name, quoted, token] of header.matchAll(AUTH_PARAM)) {
    const key = name!.toLowerCase();
    const value = quoted === undefined ? token : quoted.replace(/\\(.)/g, '$1');
    const challenge = challenges[challenges.length - 1];
    if (value === undefined) challenges.push(new Map([['', key]]));
    // A parameter name occurs once per challenge (RFC 9110 section 11.2): the first one counts.
    else if (challenge && !challenge.has(key)) challenge.set(key, value);
  }
  return challenges;
}

/**
 * Reads an RFC 9470 step-up challenge (`Bearer error="insufficient_user_authentication",
 * acr_values="...", max_age=...`) from a `WWW-Authenticate` header value; parameters may be quoted
 * or not, in any order, among other challenges. `undefined` when there is none.
 */
export function parseStepUpChallenge(
  header: string | null | undefined,
): StepUpChallenge | undefined {
  if (!header) return undefined;
  for (const params of parseChallenges(header)) {
    if (params.get('') !== 'bearer' || params.get('error') !== 'insufficient_user_authentication') {
      continue;
    }
    const challenge: StepUpChallenge = {
      acrValues: (params.get('acr_values') ?? '').split(/\s+/).filter(Boolean),
    };
    const maxAge = params.get('max_age');
    if (maxAge && /^\d{1,9}$/.test(maxAge)) challenge.maxAge = Number(maxAge);
    const description = params.get('error_description');
    if (description) challenge.description = description;
    return challenge;
  }
  return undefined;
}
