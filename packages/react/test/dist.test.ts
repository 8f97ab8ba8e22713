// @vitest-environment node
// The built files (run `pnpm build` first; turbo's test task does): `@latchkey/react/passkeys` is
// a second entry, and its hooks must find the <AuthProvider> of `@latchkey/react`. That holds only
// if both entries use one context object, which tsup.config.ts ensures by emitting the context
// as `dist/context.{js,cjs}` that both import. Loaded here as a bundler (ESM) and as Node's
// `require` (CJS, e.g. Jest) load them, and rendered on the server (no DOM needed).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { signedIn } from './helpers';

type Main = typeof import('../src/index');
type Passkeys = typeof import('../src/passkeys');
type React = typeof import('react');
type ReactDomServer = typeof import('react-dom/server');

const dist = new URL('../dist/', import.meta.url);
const require = createRequire(import.meta.url);

/** Renders the passkeys entry's <StepUpChoice> inside the main entry's <AuthProvider>. */
function renderChoice(main: Main, passkeys: Passkeys, react: React, server: ReactDomServer) {
  const { createElement } = react;
  const choice = createElement(passkeys.StepUpChoice, { acr: 'urn:latchkey:acr:mfa' });
  return {
    inside: () =>
      server.renderToString(
        createElement(main.AuthProvider, { initialSession: signedIn() }, choice),
      ),
    outside: () => server.renderToString(choice),
  };
}

const ONE_CONTEXT = '<button type="button">Use the one-time code</button>';
const NO_PROVIDER = 'latchkey: wrap this component in an <AuthProvider>.';

describe('the built entries share one context', () => {
  test('ESM: dist/passkeys.js finds the provider of dist/index.js', async () => {
    // Not literal specifiers: the type check must not need a build.
    const main: Main = await import(/* @vite-ignore */ new URL('index.js', dist).href);
    const passkeys: Passkeys = await import(/* @vite-ignore */ new URL('passkeys.js', dist).href);
    const render = renderChoice(
      main,
      passkeys,
      await import('react'),
      await import('react-dom/server'),
    );
    expect(render.inside()).toBe(ONE_CONTEXT);
    expect(render.outside).toThrow(NO_PROVIDER);
  });

  test('CJS: dist/passkeys.cjs finds the provider of dist/index.cjs', () => {
    const main: Main = require(new URL('index.cjs', dist).pathname);
    const passkeys: Passkeys = require(new URL('passkeys.cjs', dist).pathname);
    const render = renderChoice(main, passkeys, require('react'), require('react-dom/server'));
    expect(render.inside()).toBe(ONE_CONTEXT);
    expect(render.outside).toThrow(NO_PROVIDER);
  });

  test("every built file starts with the 'use client' directive", () => {
    const files = readdirSync(dist).filter((name) => /\.c?js$/.test(name));
    // ESM entries share the code they both use (the session engine) as chunks.
    expect(files.filter((name) => !/^chunk-\w+\.js$/.test(name)).sort()).toEqual([
      'context.cjs',
      'context.js',
      'index.cjs',
      'index.js',
      'passkeys.cjs',
      'passkeys.js',
      'testing.cjs',
      'testing.js',
    ]);
    for (const name of files) {
      expect(readFileSync(new URL(name, dist), 'utf8').startsWith("'use client';\n")).toBe(true);
    }
  });
});
