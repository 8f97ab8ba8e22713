import type { AuthContext } from '@latchkey/core';
import Fastify from 'fastify';
import { expectTypeOf } from 'vitest';
import latchkeyDefault, { latchkeyPlugin, requireAuth } from '../src/index';

declare const latchkey: import('@latchkey/core').Latchkey;

const app = Fastify();
await app.register(latchkeyPlugin, { latchkey });
expectTypeOf(latchkeyDefault).toEqualTypeOf(latchkeyPlugin);

// @ts-expect-error the latchkey instance is required
await app.register(latchkeyPlugin, {});

app.get<{ Params: { id: string } }>(
  '/orders/:id',
  { preHandler: requireAuth() },
  async (request) => {
    expectTypeOf(request.auth).toEqualTypeOf<AuthContext>();
    expectTypeOf(request.params.id).toEqualTypeOf<string>();
    return request.auth.session?.user;
  },
);

await app.register(async (child) => {
  child.addHook('preHandler', requireAuth());
  child.post('/payments', { preHandler: [requireAuth()] }, async (request) => request.auth.session);
});
