// What a CommonJS app (package.json "type": "commonjs", as `npm init` writes it) imports from every latchkey package:
// `tsc` checks the built `.d.cts` files with skipLibCheck off: every
// declaration file the imports reach is checked, so the imports alone are the test.
// biome-ignore-all lint/correctness/noUnusedImports: importing is what is tested.
import { createLatchkey, type VerifiedToken } from '@latchkey/core';
import { fromNodeRequest } from '@latchkey/core/adapter';
import { acrSatisfies, type SessionJson } from '@latchkey/core/contract';
import { startDevIdp } from '@latchkey/dev-idp';
import { latchkey, requireAuth } from '@latchkey/express';
import { latchkeyPlugin } from '@latchkey/fastify';
import { createPasskeys } from '@latchkey/passkeys';
import { registerPasskey } from '@latchkey/passkeys/browser';
import { useAuth } from '@latchkey/react';
import { usePasskeys } from '@latchkey/react/passkeys';
import { RedisSessionStore } from '@latchkey/redis';
import { RedisCredentialStore } from '@latchkey/redis/passkeys';
