import { createBearerVerifier, definePolicy, type StepUpAssertionOptions } from '@latchkey/core';
import { ACR_LEVELS, ACR_MFA } from '@latchkey/dev-idp';
import { requireBearer } from '@latchkey/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

/** Which permissions the demo's roles grant. */
export const demoPolicy = definePolicy({
  roles: { admin: ['*'], viewer: ['reports:read'] },
});

/** Options of {@link createApi}. */
export interface ApiOptions {
  issuer: string;
  /** The `aud` the API's access tokens must carry. Default `urn:latchkey:demo-api`. */
  audience?: string;
  /**
   * The site's step-up assertions, trusted for the step-up of `/api/payments` (a passkey step-up
   * at the site, which the IdP's token cannot show): the site's origin and public key.
   */
  stepUpAssertions?: StepUpAssertionOptions;
  /** Also take DPoP-bound tokens with their proofs (RFC 9449), beside bearer tokens. Default false. */
  dpop?: boolean;
}

/**
 * The demo API: JSON routes protected by JWT access tokens from the IdP, bearer or (with `dpop`)
 * DPoP-bound. `GET /api/me` (any valid token: its claims, and whether it is DPoP-bound), `GET /api/reports` (permission `reports:read`), `POST /api/payments` (a step-up to the
 * `mfa` level within 5 minutes, in the token or in a step-up assertion of the site, else the RFC
 * 9470 challenge).
 */
export function createApi(options: ApiOptions): FastifyInstance {
  const verifier = createBearerVerifier({
    issuer: options.issuer,
    audience: options.audience ?? 'urn:latchkey:demo-api',
    acrLevels: ACR_LEVELS,
    policy: demoPolicy,
    ...(options.stepUpAssertions ? { stepUpAssertions: options.stepUpAssertions } : {}),
    ...(options.dpop ? { dpop: 'allowed' as const } : {}),
  });
  const app = Fastify();

  app.get('/api/me', { preHandler: requireBearer(verifier) }, async (request) => {
    const token = request.bearer!;
    return {
      sub: token.sub,
      roles: token.roles,
      permissions: token.permissions,
      acr: token.acr,
      scopes: token.scopes,
      // A bound token only gets here with its proof of possession.
      dpopBound: token.claims.cnf !== undefined,
    };
  });

  app.get(
    '/api/reports',
    { preHandler: requireBearer(verifier, { permissions: ['reports:read'] }) },
    async () => ({
      reports: [
        { id: 'q3-revenue', title: 'Q3 revenue', total: 182_400 },
        { id: 'q3-costs', title: 'Q3 costs', total: 97_150 },
      ],
    }),
  );

  app.post(
    '/api/payments',
    { preHandler: requireBearer(verifier, { acr: ACR_MFA, maxAge: 300 }) },
    async (request, reply) => {
      const body = (request.body ?? {}) as { amount?: unknown; to?: unknown };
      const amount = Number(body.amount);
      if (!Number.isFinite(amount) || amount <= 0 || typeof body.to !== 'string' || !body.to) {
        return reply
          .code(400)
          .send({ error: 'invalid_request', message: 'Send { amount > 0, to }.' });
      }
      return reply
        .code(201)
        .send({ id: crypto.randomUUID(), amount, to: body.to, by: request.bearer!.sub });
    },
  );

  return app;
}
