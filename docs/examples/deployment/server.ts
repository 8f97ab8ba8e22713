import { latchkey, requireAuth } from '@latchkey/express';
import express from 'express';
import { auth, store } from './config';

const app = express();

// #region proxy
// latchkey takes the app's origin from baseUrl and reads no Host or X-Forwarded-* header, so it
// needs no 'trust proxy'. Set it for your own use of req.ip, req.protocol and req.hostname: the
// number of proxies in front of the app.
app.set('trust proxy', 1);
// #endregion proxy

// #region health
// Liveness: the process answers. Readiness: Redis answers too. The IdP is left out on purpose.
app.get('/healthz', (_req, res) => {
  res.status(200).end();
});
app.get('/readyz', async (_req, res) => {
  const reply = await store.client.ping().catch(() => 'no reply');
  res.status(reply === 'PONG' ? 200 : 503).end();
});
// #endregion health

app.use(latchkey(auth));
app.get('/', requireAuth(), (req, res) => {
  res.json({ user: req.auth.session?.user });
});

// #region shutdown
const server = app.listen(Number(process.env.PORT ?? 3000));
process.on('SIGTERM', () => {
  server.close(() => void store.close());
});
// #endregion shutdown
