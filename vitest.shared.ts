import { fileURLToPath } from 'node:url';

const source = (pkg: string) =>
  fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/** Resolves every workspace package to its TypeScript source, so tests never need a build. */
export const sourceAliases = {
  '@latchkey/core': source('core'),
  '@latchkey/express': source('express'),
  '@latchkey/dev-idp': source('dev-idp'),
  '@latchkey/test-utils': source('test-utils'),
  '@latchkey/adapter-tests': source('adapter-tests'),
  '@latchkey/fastify': source('fastify'),
  '@latchkey/redis': source('redis'),
  '@latchkey/react': source('react'),
};
