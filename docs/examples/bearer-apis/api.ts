import { createBearerVerifier, definePolicy } from '@latchkey/core';
import { requireBearer } from '@latchkey/express';
import express from 'express';

// #region verifier
const verifier = createBearerVerifier({
  issuer: 'http://localhost:4000',
  // This API's identifier: a token's aud must contain it.
  audience: 'urn:latchkey:demo-api',
  // What the roles in a token's roles claim allow.
  policy: definePolicy({
    roles: { admin: ['reports:read', 'reports:export'], viewer: ['reports:read'] },
  }),
});
// #endregion verifier

const api = express();

// #region routes
// Any token for this API that carries the scope reports:read.
api.get('/api/reports', requireBearer(verifier, { scopes: ['reports:read'] }), (req, res) => {
  res.json({ reports: ['q3-revenue', 'q3-costs'], for: req.bearer!.sub });
});

// The same, and the permission reports:export, which only the role admin grants.
api.get(
  '/api/reports/export',
  requireBearer(verifier, { scopes: ['reports:read'], permissions: ['reports:export'] }),
  (req, res) => {
    res.json({ export: 'q3-revenue.csv', for: req.bearer!.sub });
  },
);

// The scope payments:write. The token is checked before the body is read.
api.post(
  '/api/payments',
  requireBearer(verifier, { scopes: ['payments:write'] }),
  express.urlencoded({ extended: false }),
  (req, res) => {
    res.status(201).json({ amount: Number(req.body.amount), by: req.bearer!.sub });
  },
);
// #endregion routes

const port = Number(process.env.PORT ?? 3001);
api.listen(port, '127.0.0.1', () => console.log(`API listening on http://localhost:${port}`));
