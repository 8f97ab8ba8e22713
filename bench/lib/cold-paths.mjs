// Cold paths (issue #18), latchkey against express-openid-connect, both as Express apps in this
// process (pinned to core 0 by the orchestrator): the callback of a sign-in (code exchange, ID
// token checks, the new session sealed into its cookie) and a refresh of the access token (the
// token request, and the session sealed again). The dev IdP runs in another process, so its work
// is not counted: each figure is this process's CPU time from the request's arrival to its
// response's end, while nothing else runs here (the sign-ins and refreshes go one at a time).
// Configured by BENCH_COLD (JSON); prints one JSON line.
import { once } from 'node:events';
import { signInAtDevIdp } from '@latchkey/dev-idp';
import express from 'express';
import { Agent } from './agent.mjs';

/**
 * @typedef {object} ColdConfig
 * @property {string} issuer the dev IdP (access tokens short-lived: every refresh is real)
 * @property {Record<'latchkey' | 'eoc', { port: number, clientId: string, clientSecret: string, secret: string }>} clients
 * @property {number} count sign-ins, and refreshes, per library
 */

/** @type {ColdConfig} */
const config = JSON.parse(process.env.BENCH_COLD ?? '{}');

/**
 * Records the CPU µs and wall ms of each request whose path is in `paths`, from its arrival to
 * the end of its response. @param {Record<string, Array<{ cpuUs: number, wallMs: number }>>} into
 */
function meter(into) {
  return (req, res, next) => {
    const samples = into[req.path];
    if (samples) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      res.once('finish', () => {
        const used = process.cpuUsage(cpu);
        samples.push({ cpuUs: used.user + used.system, wallMs: performance.now() - started });
      });
    }
    next();
  };
}

/** latchkey on Express: its routes, and `/refresh`, which needs a refreshed access token. */
async function latchkeyApp(client, baseUrl) {
  const { createLatchkey } = await import('@latchkey/core');
  const { latchkey } = await import('@latchkey/express');
  const app = express();
  const auth = createLatchkey({
    issuer: config.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    baseUrl,
    secrets: [client.secret],
  });
  return {
    app,
    start: '/auth/login?returnTo=/',
    callback: '/auth/callback',
    mount: () => {
      app.use(latchkey(auth));
      app.get('/refresh', async (req, res, next) => {
        try {
          res.json({ ok: (await req.auth.getAccessToken()).length > 0 });
        } catch (error) {
          next(error);
        }
      });
      app.get('/', (_req, res) => res.send('ok'));
    },
  };
}

/** express-openid-connect as in the throughput scenarios; `/refresh` refreshes its access token. */
async function eocApp(client, baseUrl) {
  const { default: eoc } = await import('express-openid-connect');
  const app = express();
  return {
    app,
    start: '/login',
    callback: '/callback',
    mount: () => {
      app.use(
        eoc.auth({
          authRequired: false,
          idpLogout: false,
          issuerBaseURL: config.issuer,
          baseURL: baseUrl,
          clientID: client.clientId,
          clientSecret: client.clientSecret,
          secret: client.secret,
          authorizationParams: {
            response_type: 'code',
            scope: 'openid profile email offline_access',
          },
        }),
      );
      app.get('/refresh', async (req, res, next) => {
        try {
          const token = await req.oidc.accessToken.refresh();
          res.json({ ok: token.access_token.length > 0 });
        } catch (error) {
          next(error);
        }
      });
      app.get('/', (_req, res) => res.send('ok'));
    },
  };
}

/** The median and the spread of `values`. @param {number[]} values */
function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)],
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

const results = {};
for (const [name, make] of [
  ['latchkey', latchkeyApp],
  ['eoc', eocApp],
]) {
  const client = config.clients[name];
  const baseUrl = `http://127.0.0.1:${client.port}`;
  const { app, start, callback, mount } = await make(client, baseUrl);
  const samples = { [callback]: [], '/refresh': [] };
  app.use(meter(samples));
  mount();
  const server = app.listen(client.port, '127.0.0.1');
  await once(server, 'listening');
  try {
    for (let index = 0; index < config.count; index++) {
      const agent = new Agent();
      const user = index % 2 ? 'bob' : 'alice';
      await signInAtDevIdp(agent, await agent.get(`${baseUrl}${start}`), {
        username: user,
        password: `${user}-password`,
      });
      const refreshed = await agent.get(`${baseUrl}/refresh`);
      if (refreshed.status !== 200)
        throw new Error(`${name}: /refresh answered ${refreshed.status}: ${refreshed.body}`);
    }
  } finally {
    server.close();
  }
  const check = (path) => {
    if (samples[path].length !== config.count)
      throw new Error(`${name}: ${samples[path].length} of ${config.count} ${path} measured`);
    return {
      cpuUs: summary(samples[path].map((s) => s.cpuUs)),
      wallMs: summary(samples[path].map((s) => s.wallMs)),
    };
  };
  results[name] = { callback: check(callback), refresh: check('/refresh') };
}
process.stdout.write(`${JSON.stringify({ count: config.count, ...results })}\n`);
process.exit(0);
