// The API. It knows nothing of cookies or sessions: it accepts JWT access tokens (RFC 9068) from
// the IdP, for this API only, and nothing else.
import { createBearerVerifier } from '@latchkey/core';
import { requireBearer } from '@latchkey/express';
import express from 'express';

const verifier = createBearerVerifier({
  issuer: 'http://localhost:4000',
  // The token's `aud` must name this API: the resource the BFF asks the IdP for.
  audience: 'urn:latchkey:demo-api',
});

const api = express();

api.get('/api/me', requireBearer(verifier), (req, res) => {
  const token = req.bearer!;
  res.json({ sub: token.sub, roles: token.roles, acr: token.acr });
});

const port = Number(process.env.API_PORT ?? 3001);
api.listen(port, '127.0.0.1', () => console.log(`API on http://localhost:${port}`));
