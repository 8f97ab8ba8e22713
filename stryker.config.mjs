// Mutation testing of latchkey's security core: `pnpm mutate` (scripts/mutate.mjs runs it on a
// copy of the working tree). The list below is the one place that names the mutated modules.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  coverageAnalysis: 'perTest',
  // Mutants that run only while modules load (constants) would each need the whole suite again,
  // hours on two cores; they are reported as Ignored. Mutants also reached inside tests still run.
  ignoreStatic: true,
  mutate: [
    // Sign-in: the transaction, state and callback, and step-up (the route's query, the check of
    // what comes back, the order of acr levels); the guards that demand a session, a role, a
    // permission or a step-up.
    'packages/core/src/sign-in.ts',
    'packages/core/src/transaction.ts',
    'packages/core/src/step-up.ts',
    'packages/core/src/acr.ts',
    'packages/core/src/guards.ts',
    // Multi-tenant issuers; pushed authorization requests; ID-token, refresh and logout-token
    // verification; which provider a session, a sign-in or a logout token belongs to.
    'packages/core/src/client.ts:182-223',
    'packages/core/src/client.ts:264-405',
    'packages/core/src/client.ts:407-521',
    'packages/core/src/providers.ts',
    'packages/core/src/tokens.ts',
    'packages/core/src/logout-token.ts',
    // Sign-out: the Origin check, the end-session state and its return, back-channel logout.
    'packages/core/src/logout.ts',
    // Bearer and DPoP-bound tokens for APIs, and the cache of verified credentials.
    'packages/core/src/bearer.ts',
    'packages/core/src/dpop-proof.ts',
    'packages/core/src/credential-cache.ts',
    // Step-up assertions: a passkey step-up as an API may trust it.
    'packages/core/src/step-up-assertion.ts',
    // RBAC matching.
    'packages/core/src/rbac.ts',
    // Seal and cookie codec; returnTo and the Origin check; BFF forwarding.
    'packages/core/src/seal.ts',
    'packages/core/src/cookies.ts',
    'packages/core/src/request.ts:34-39',
    'packages/core/src/request.ts:72-127',
    'packages/core/src/forward.ts',
    // Session expiry in cookies and stores, revocation.
    'packages/core/src/session-backends.ts',
    'packages/core/src/memory.ts',
    // Passkey sign-in and step-up: who may, and what the session becomes.
    'packages/core/src/passkey-routes.ts',
  ],
  inPlace: true,
  concurrency: 2,
  timeoutMS: 20_000,
  thresholds: { high: 95, low: 90, break: 90 },
  reporters: ['json', 'clear-text', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
