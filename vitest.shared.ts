import { fileURLToPath } from 'node:url';

const source = (pkg: string, file = 'index.ts') =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

/** Resolves every workspace package to its TypeScript source, so tests never need a build. */
export const sourceAliases = {
  // Before '@latchkey/core': the first alias that matches an import wins.
  '@latchkey/core/adapter': source('core', 'adapter.ts'),
  '@latchkey/core/contract': source('core', 'contract.ts'),
  '@latchkey/core': source('core'),
  '@latchkey/express': source('express'),
  '@latchkey/dev-idp': source('dev-idp'),
  '@latchkey/test-utils': source('test-utils'),
  '@latchkey/adapter-tests': source('adapter-tests'),
  '@latchkey/fastify': source('fastify'),
  '@latchkey/redis/passkeys': source('redis', 'passkey-stores.ts'),
  '@latchkey/redis': source('redis'),
  '@latchkey/passkeys/browser': source('passkeys', 'browser.ts'),
  '@latchkey/passkeys': source('passkeys'),
  '@latchkey/react/fetch': source('react', 'fetch.ts'),
  '@latchkey/react/passkeys': source('react', 'passkeys.tsx'),
  '@latchkey/react/testing': source('react', 'testing.tsx'),
  '@latchkey/react': source('react'),
};
