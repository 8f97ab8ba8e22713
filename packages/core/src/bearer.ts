import { createRemoteJWKSet, decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { type Awaitable, andThen, isPromiseLike } from './awaitable';
import { isLoopback } from './config';
import { CredentialCache } from './credential-cache';
import { type DpopMode, type DpopOptions, DpopProofs } from './dpop-proof';
import { ErrorCodes, LatchkeyError } from './errors';
import {
  type Authorized,
  can,
  hasRole,
  type Permission,
  type Policy,
  permissionsFor,
  permissionsFromClaims,
  type RoleMapper,
  roleMappers,
} from './rbac';
import { toResponse } from './responses';
import {
  type Authentication,
  authTimeOf,
  quote,
  type StepUpRequirement,
  stepUpRequired,
  unmetStepUp,
} from './step-up';
import { type StepUpAssertionOptions, stepUpAssertionVerifier } from './step-up-assertion';

/** An issuer an API trusts, and what its tokens must carry (see `issuers`). */
export interface TrustedIssuer {
  /** The issuer of the access tokens, exactly as in its discovery document. */
  issuer: string;
  /** This API's identifier at that issuer: the token's `aud` must contain it (RFC 9068 section 4). */
  audience: string;
  /** The JWKS URL. Default: `jwks_uri` from the issuer's discovery document. */
  jwksUri?: string;
}

/** Options of {@link createBearerVerifier}. */
export interface BearerVerifierOptions {
  /** The issuer of the access tokens, exactly as in its discovery document. Required unless `issuers`. */
  issuer?: string;
  /** This API's identifier: the token's `aud` must contain it (RFC 9068 section 4). Required unless `issuers`. */
  audience?: string;
  /** The JWKS URL. Default: `jwks_uri` from the issuer's discovery document. */
  jwksUri?: string;
  /**
   * Several trusted issuers, each with its own audience and JWKS, instead of `issuer`, `audience`
   * and `jwksUri`: a token is verified with the keys of the issuer it names, and refused when it
   * names none of them.
   */
  issuers?: readonly TrustedIssuer[];
  /** Accepted signature algorithms; never `none` or HMAC. Default `['RS256', 'ES256', 'PS256', 'EdDSA']`. */
  algorithms?: readonly string[];
  /** Also accept tokens typed `JWT` or untyped, not only RFC 9068 `at+jwt`. Default false. */
  allowPlainJwt?: boolean;
  /** Seconds of clock skew tolerated, at most 300. Default 30. */
  clockTolerance?: number;
  /** Maps token claims to roles. Default: the `roles` claim. */
  roles?: RoleMapper;
  /** Roles to permissions; the token's own `permissions` claim (Auth0) is added. Default none. */
  policy?: Policy;
  /** Authentication levels, lowest first, for `acr` requirements. Default `[]`. */
  acrLevels?: readonly string[];
  /** Milliseconds before an unknown `kid` may trigger another JWKS fetch. Default 30000. */
  jwksCooldown?: number;
  /** Milliseconds to wait for discovery or the JWKS. Default 5000. */
  timeout?: number;
  /** Most verified tokens kept in the cache. Default 10000. */
  cacheSize?: number;
  /**
   * Trust one app's step-up assertions (the `Latchkey-Step-Up` header its `forward()` sends when
   * the user stepped up with a passkey, which the IdP's token cannot show): the app's origin and
   * public keys. Only a step-up requirement the token itself does not meet reads them. Default:
   * none, the token alone decides.
   */
  stepUpAssertions?: StepUpAssertionOptions;
  /**
   * DPoP-bound access tokens (RFC 9449), sent as `Authorization: DPoP <token>` with a `DPoP` proof
   * header: `'allowed'` beside bearer tokens, `'required'` instead of them, or {@link DpopOptions}
   * for replay across instances and server nonces. A token bound to a key (`cnf.jkt`) is always
   * refused as a bearer token. Default: none, bearer tokens only.
   */
  dpop?: DpopMode | DpopOptions;
  /** Current time in epoch ms. Default `Date.now`; tests pass a fake clock. */
  now?: () => number;
}

/** What a route demands of a bearer token. */
export interface BearerRequirement extends StepUpRequirement {
  /** Every one of these scopes (`scope` or `scp` claim). */
  scopes?: readonly string[];
  /** Every one of these permissions (through the policy or the token's `permissions` claim). */
  permissions?: readonly Permission[];
  /** Every one of these roles. */
  roles?: readonly string[];
}

/**
 * The claims of a verified access token: RFC 9068 section 2.2's, and whatever else the IdP put in
 * (roles, permissions, `acr`, `auth_time`).
 */
export interface AccessTokenClaims {
  /** Issuer (RFC 7519 `iss`); verified to be the configured `issuer` (or one of `issuers`). */
  readonly iss?: string;
  /** Subject (RFC 7519 `sub`): the user, or the client itself when no user takes part. */
  readonly sub?: string;
  /** Audience (RFC 7519 `aud`); verified to contain the configured `audience`. */
  readonly aud?: string | string[];
  /** Expiration time (RFC 7519 `exp`), in seconds since the epoch; required and checked. */
  readonly exp?: number;
  /** Issued-at time (RFC 7519 `iat`), in seconds since the epoch. */
  readonly iat?: number;
  /** Not-before time (RFC 7519 `nbf`), in seconds since the epoch; checked when present. */
  readonly nbf?: number;
  /** Unique identifier of the token (RFC 7519 `jti`). */
  readonly jti?: string;
  /** The OAuth client the token was issued to (RFC 9068 `client_id`). */
  readonly client_id?: string;
  /** Granted scopes, space-separated (RFC 9068 `scope`); parsed into `VerifiedToken.scopes`. */
  readonly scope?: string;
  readonly [claim: string]: unknown;
}

/** The parts of a request that carry its access token, for {@link BearerVerifier.authenticate}. */
export interface BearerRequest {
  /** The `Authorization` header: `Bearer <token>`, or `DPoP <token>` with a `DPoP` proof. */
  authorization: string | null | undefined;
  /** The `DPoP` header (RFC 9449), as the request carried it. */
  dpop?: string | readonly string[] | null | undefined;
  /** The HTTP method; needed for DPoP. */
  method?: string;
  /** The absolute URL the client called (behind a proxy, the public one); needed for DPoP. */
  url?: string;
  /** The `Latchkey-Step-Up` header, if any. */
  stepUpAssertion?: string | null | undefined;
}

/** A verified access token. */
export interface VerifiedToken extends Authorized {
  /** Every claim of the verified token's payload. */
  claims: AccessTokenClaims;
  /** The token's `sub` claim, if it has one. */
  sub: string | undefined;
  /** Granted scopes: the `scope` claim split on spaces, else the `scp` claim (array or string). */
  scopes: string[];
  /**
   * The `acr` claim; or, when the token alone did not meet a step-up requirement, the `acr` of
   * the app's verified step-up assertion.
   */
  acr: string | undefined;
  /**
   * Epoch seconds of the user's last authentication: the `auth_time` claim, or the step-up
   * assertion's as for `acr`.
   */
  authTime: number | undefined;
  /** Epoch seconds. */
  expiresAt: number;
}

/** Verifies JWT access tokens (RFC 9068) for an API; see {@link createBearerVerifier}. */
export interface BearerVerifier {
  /**
   * Verifies a bearer token and checks the requirement; throws a `LatchkeyError` with a challenge.
   * `stepUpAssertion` is the request's `Latchkey-Step-Up` header, if any. A DPoP-bound token is
   * refused here: its proof needs the request (see `authenticate`).
   */
  verify(
    token: string,
    requirement?: BearerRequirement,
    stepUpAssertion?: string,
  ): Promise<VerifiedToken>;
  /**
   * Verifies a request's access token: the token, or a 401/403 JSON response with the RFC 6750 /
   * RFC 9449 / RFC 9470 `WWW-Authenticate` challenge. Never rejects. Takes the request's
   * {@link BearerRequest} parts, or only its `Authorization` header (bearer tokens, with
   * `stepUpAssertion` the `Latchkey-Step-Up` header). Synchronous for a bearer token verified
   * before (the hot path of an API); `await` the result.
   */
  authenticate(
    request: BearerRequest | string | null | undefined,
    requirement?: BearerRequirement,
    stepUpAssertion?: string | null,
  ): Awaitable<
    | {
        /** The verified token, which meets the requirement. */
        token: VerifiedToken;
        /** Absent: the request may go on. */
        response?: undefined;
      }
    | {
        /** Absent: the token is missing, invalid or insufficient. */
        token?: undefined;
        /** The JSON error response to send, with its `WWW-Authenticate` challenge if any. */
        response: Response;
      }
  >;
}

/** The error of a token the request cannot use, as RFC 6750 section 3.1 names it. */
function invalidToken(description: string, cause?: unknown): LatchkeyError {
  // RFC 6750 section 3.1
  return new LatchkeyError(
    ErrorCodes.invalidToken,
    `The access token is invalid: ${description}.`,
    {
      challenge: `Bearer error="invalid_token", error_description=${quote(description)}`,
      cause,
    },
  );
}

const FORBIDDEN_ALGORITHMS = /^(none|HS\d+)$/i;
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);
/** `typ` values of a plain JWT, `''` for none. */
const PLAIN_TYPES = new Set(['', 'jwt', 'application/jwt']);

const scopesOf = (claims: JWTPayload): string[] => {
  if (typeof claims.scope === 'string') return claims.scope.split(' ').filter(Boolean);
  if (Array.isArray(claims.scp))
    return claims.scp.filter((s): s is string => typeof s === 'string');
  if (typeof claims.scp === 'string') return claims.scp.split(' ').filter(Boolean);
  return [];
};

/**
 * Creates a verifier of JWT access tokens for an API. The JWKS is fetched once and cached (no
 * network per request); an unknown `kid` triggers one refetch, shared by concurrent requests and
 * at most once per cooldown, so a flood of bad tokens cannot hammer the IdP. Verified tokens are
 * cached until their `exp` (failures never are); every hit still checks `exp` and the
 * route's own requirement.
 */
export function createBearerVerifier(options: BearerVerifierOptions): BearerVerifier {
  const issuers = trustedIssuers(options);
  const algorithms = [...(options.algorithms ?? ['RS256', 'ES256', 'PS256', 'EdDSA'])];
  if (algorithms.length === 0 || algorithms.some((alg) => FORBIDDEN_ALGORITHMS.test(alg))) {
    throw new LatchkeyError(
      ErrorCodes.configInvalid,
      'algorithms must be asymmetric signature algorithms (never none or HMAC).',
    );
  }
  const clockTolerance = options.clockTolerance ?? 30;
  if (!(clockTolerance >= 0 && clockTolerance <= 300)) {
    throw new LatchkeyError(ErrorCodes.configInvalid, 'clockTolerance must be 0 to 300 seconds.');
  }
  const now = options.now ?? Date.now;
  const timeout = options.timeout ?? 5000;
  const roles = options.roles ?? roleMappers.claim('roles');
  const acrLevels = options.acrLevels ?? [];
  const cache = new CredentialCache<VerifiedToken>(options.cacheSize ?? 10_000);
  const dpop = options.dpop && new DpopProofs(options.dpop, clockTolerance, now);
  const verifyAssertion =
    options.stepUpAssertions &&
    stepUpAssertionVerifier(options.stepUpAssertions, clockTolerance, now);
  const keySets = new Map(
    issuers.map((trusted) => [
      trusted.issuer,
      { trusted, keys: remoteKeySet(trusted, timeout, options.jwksCooldown ?? 30_000) },
    ]),
  );
  const [only] = keySets.values();

  /** The trusted issuer a token names (read before verifying: its keys verify it next). */
  function issuerOf(token: string) {
    if (keySets.size === 1) return only!;
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      iss = undefined;
    }
    const found = typeof iss === 'string' ? keySets.get(iss) : undefined;
    if (!found) throw invalidToken('the token is not from an issuer this API trusts');
    return found;
  }

  async function verifySignature(token: string): Promise<VerifiedToken> {
    const { trusted, keys: keySet } = issuerOf(token);
    let keys: Awaited<ReturnType<typeof keySet>>;
    try {
      keys = await keySet();
    } catch (cause) {
      throw new LatchkeyError(
        ErrorCodes.idpUnreachable,
        'The IdP keys could not be loaded to verify the access token.',
        {
          cause,
        },
      );
    }
    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      verified = await jwtVerify(token, keys, {
        issuer: trusted.issuer,
        audience: trusted.audience,
        algorithms,
        clockTolerance,
        currentDate: new Date(now()),
        requiredClaims: ['exp'],
      });
    } catch (cause) {
      const code = (cause as { code?: unknown }).code;
      if (code === 'ERR_JWKS_TIMEOUT') {
        throw new LatchkeyError(
          ErrorCodes.idpUnreachable,
          'The IdP keys could not be fetched in time.',
          { cause },
        );
      }
      throw invalidToken(describeJoseError(code), cause);
    }
    // RFC 9068 section 4: the typ header is at+jwt (plain JWT only when allowed).
    const typ = verified.protectedHeader.typ?.toLowerCase() ?? '';
    if (!ACCESS_TOKEN_TYPES.has(typ) && !(options.allowPlainJwt && PLAIN_TYPES.has(typ))) {
      throw invalidToken('the token is not an RFC 9068 access token (typ at+jwt)');
    }
    const claims = verified.payload;
    const tokenRoles = roles(claims as Record<string, unknown>);
    const permissions = [
      ...new Set([
        ...permissionsFor(tokenRoles, options.policy),
        ...permissionsFromClaims(claims as Record<string, unknown>),
      ]),
    ];
    return {
      claims,
      sub: claims.sub,
      scopes: scopesOf(claims),
      roles: tokenRoles,
      permissions,
      acr: typeof claims.acr === 'string' ? claims.acr : undefined,
      authTime: authTimeOf(claims),
      expiresAt: claims.exp!,
    };
  }

  function check(token: VerifiedToken, requirement: BearerRequirement): void {
    const scopes = requirement.scopes;
    const lacks = (scope: string) => !token.scopes.includes(scope);
    if (scopes?.some(lacks)) {
      // RFC 6750 section 3.1
      const missingScopes = scopes.filter(lacks);
      const scope = scopes.join(' ');
      throw new LatchkeyError(
        ErrorCodes.insufficientScope,
        `The access token lacks the scope ${missingScopes.join(', ')}.`,
        {
          challenge: `Bearer error="insufficient_scope", error_description=${quote('insufficient scope')}, scope=${quote(scope)}`,
        },
      );
    }
    const missingRole = requirement.roles?.find((role) => !hasRole(token, role));
    const missingPermission = requirement.permissions?.find(
      (permission) => !can(token, permission),
    );
    if (missingRole || missingPermission) {
      throw new LatchkeyError(
        ErrorCodes.forbidden,
        missingRole
          ? `The role '${missingRole}' is required.`
          : `The permission '${missingPermission}' is required.`,
      );
    }
  }

  /** The step-up `authentication` does not meet, as the error to answer; undefined when met. */
  function stepUpProblem(
    authentication: Authentication,
    requirement: BearerRequirement,
  ): LatchkeyError | undefined {
    const unmet = unmetStepUp(
      authentication,
      requirement,
      acrLevels,
      Math.floor(now() / 1000),
      clockTolerance,
    );
    return unmet === undefined ? undefined : stepUpRequired(requirement, unmet);
  }

  /**
   * The token, once it meets the requirement's step-up: by its own claims, or else by the app's
   * step-up assertion when this API trusts one (then with the assertion's `acr` and `auth_time`).
   */
  function steppedUp(
    token: VerifiedToken,
    raw: string,
    requirement: BearerRequirement,
    assertion: string | null | undefined,
  ): Awaitable<VerifiedToken> {
    const problem = stepUpProblem(token, requirement);
    if (!problem) return token;
    if (!assertion || !verifyAssertion) throw problem;
    return verifyAssertion(assertion, { raw, sub: token.sub }).then((stepUp) => {
      const still = stepUpProblem(stepUp, requirement);
      if (still) throw still;
      return { ...token, ...stepUp };
    });
  }

  /** Verifications under way, so that concurrent requests with a new token share one. */
  const verifying = new Map<string, Promise<VerifiedToken>>();

  /** The token, verified; synchronous when it is cached. */
  function verified(token: string): Awaitable<VerifiedToken> {
    const known = cache.get(token, now()) ?? verifying.get(token);
    if (known) return known;
    const fresh = verifySignature(token)
      .then((result) => {
        cache.set(token, result, (result.expiresAt + clockTolerance) * 1000);
        return result;
      })
      .finally(() => verifying.delete(token));
    verifying.set(token, fresh);
    return fresh;
  }

  /** The token once it meets the requirement, step-up included. */
  function meeting(
    token: VerifiedToken,
    raw: string,
    requirement: BearerRequirement,
    assertion: string | null | undefined,
  ): Awaitable<VerifiedToken> {
    check(token, requirement);
    return steppedUp(token, raw, requirement, assertion);
  }

  /** A bearer token, which must not be bound to a DPoP key (RFC 9449 section 7.2). */
  function bearer(
    raw: string,
    requirement: BearerRequirement,
    assertion: string | null | undefined,
  ): Awaitable<VerifiedToken> {
    if (dpop?.mode === 'required') {
      throw invalidToken('this API takes DPoP-bound tokens only, with the DPoP scheme');
    }
    return andThen(verified(raw), (token) => {
      if (jktOf(token) !== undefined) {
        throw invalidToken('a DPoP-bound token must be sent with the DPoP scheme and a proof');
      }
      return meeting(token, raw, requirement, assertion);
    });
  }

  /** A DPoP-bound token with its proof (RFC 9449 sections 4.3 and 7.1). */
  async function bound(
    dpopProofs: DpopProofs,
    raw: string,
    request: BearerRequest,
    requirement: BearerRequirement,
  ): Promise<VerifiedToken> {
    const token = await verified(raw);
    await dpopProofs.verify({
      proof: request.dpop,
      method: request.method ?? '',
      url: request.url ?? '',
      accessToken: raw,
      jkt: jktOf(token),
    });
    return meeting(token, raw, requirement, request.stepUpAssertion);
  }

  /** The error response; for a DPoP request, its challenge in the DPoP scheme with a nonce. */
  function failed(error: unknown, scheme: 'Bearer' | 'DPoP') {
    const response = toResponse(error, { as: 'json' });
    const challenge = response.headers.get('www-authenticate');
    if (
      dpop &&
      (scheme === 'DPoP' || dpop.mode === 'required') &&
      challenge?.startsWith('Bearer')
    ) {
      response.headers.set(
        'www-authenticate',
        dpop.challenge(challenge.slice('Bearer'.length).replace(/^[\s,]+/, '')),
      );
    }
    const nonce = dpop?.nonce();
    if (nonce !== undefined && response.status === 401) response.headers.set('dpop-nonce', nonce);
    return { response };
  }

  /** The challenge of a request without a token: each scheme this API takes. */
  const noTokenChallenge = !dpop
    ? 'Bearer'
    : dpop.mode === 'required'
      ? dpop.challenge()
      : `Bearer, ${dpop.challenge()}`;

  return {
    async verify(token, requirement = {}, stepUpAssertion = undefined) {
      return bearer(token, requirement, stepUpAssertion);
    },
    authenticate(given, requirement = {}, stepUpAssertion = undefined) {
      const request: BearerRequest =
        typeof given === 'object' && given !== null
          ? given
          : { authorization: given, stepUpAssertion };
      let scheme: 'Bearer' | 'DPoP' = 'Bearer';
      try {
        const header = request.authorization;
        if (!header) {
          // RFC 6750 section 3.1: no credentials, no error code.
          throw new LatchkeyError(ErrorCodes.unauthenticated, 'An access token is required.', {
            challenge: noTokenChallenge,
          });
        }
        const match = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
        if (!match) {
          throw invalidToken(
            `the Authorization header is not a ${dpop ? 'Bearer or DPoP' : 'Bearer'} token`,
          );
        }
        const raw = match[2]!;
        if (match[1]!.toLowerCase() === 'dpop') {
          if (!dpop) throw invalidToken('this API does not take DPoP-bound tokens');
          scheme = 'DPoP';
          return bound(dpop, raw, request, requirement).then(
            (token) => ({ token }),
            (error: unknown) => failed(error, 'DPoP'),
          );
        }
        const token = bearer(raw, requirement, request.stepUpAssertion);
        return isPromiseLike(token)
          ? Promise.resolve(token).then(
              (result) => ({ token: result }),
              (error: unknown) => failed(error, 'Bearer'),
            )
          : { token };
      } catch (error) {
        return failed(error, scheme);
      }
    },
  };
}

/** The issuers an API trusts: `issuers`, or the one of `issuer` and `audience`; checked. */
function trustedIssuers(options: BearerVerifierOptions): readonly TrustedIssuer[] {
  const invalid = (message: string) => new LatchkeyError(ErrorCodes.configInvalid, message);
  if (options.issuers && (options.issuer || options.audience || options.jwksUri)) {
    throw invalid('Give either issuers, or issuer and audience (and jwksUri), not both.');
  }
  const issuers = options.issuers ?? [
    {
      issuer: options.issuer ?? '',
      audience: options.audience ?? '',
      ...(options.jwksUri ? { jwksUri: options.jwksUri } : {}),
    },
  ];
  if (issuers.length === 0) throw invalid('issuers needs at least one issuer.');
  for (const { issuer, audience } of issuers) {
    if (!URL.canParse(issuer)) throw invalid('issuer is required, as an https URL.');
    const url = new URL(issuer);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
      throw invalid('issuer must use https (http only on loopback).');
    }
    if (!audience) throw invalid(`audience is required (for ${issuer}).`);
  }
  if (new Set(issuers.map(({ issuer }) => issuer)).size < issuers.length) {
    throw invalid('issuers names one issuer twice.');
  }
  return issuers;
}

/**
 * The keys of a trusted issuer, loaded at first use (from `jwksUri`, or the issuer's discovery
 * document) and cached by jose; a failed load is tried again by the next request.
 */
function remoteKeySet(trusted: TrustedIssuer, timeout: number, cooldown: number) {
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  return () => {
    if (!jwks) {
      jwks = (async () => {
        let uri = trusted.jwksUri;
        if (!uri) {
          const issuer = new URL(trusted.issuer);
          const response = await oauth.discoveryRequest(issuer, {
            signal: AbortSignal.timeout(timeout),
            [oauth.allowInsecureRequests]: issuer.protocol === 'http:',
          });
          // No jwks_uri: `new URL` below throws, and the keys could not be loaded.
          uri = (await oauth.processDiscoveryResponse(issuer, response)).jwks_uri;
        }
        return createRemoteJWKSet(new URL(String(uri)), {
          timeoutDuration: timeout,
          cooldownDuration: cooldown,
        });
      })();
      jwks.catch(() => {
        jwks = undefined;
      });
    }
    return jwks;
  };
}

/** The thumbprint of the key a token is bound to (RFC 9449 section 6.1 `cnf.jkt`), if any. */
function jktOf(token: VerifiedToken): unknown {
  const cnf = token.claims.cnf;
  return typeof cnf === 'object' && cnf !== null ? (cnf as { jkt?: unknown }).jkt : undefined;
}

function describeJoseError(code: unknown): string {
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return 'a claim check failed (iss, aud or nbf)';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the signature does not verify';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the signature algorithm is not allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no IdP key matches the token';
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'several IdP keys match the token and it names none';
    default:
      return 'the token could not be verified';
  }
}
