// @vitest-environment node
// The built files (run `pnpm build` first; turbo's test task does): `@latchkey/react/passkeys` and
// `@latchkey/react/fetch` are entries of their own, whose hooks must find the <AuthProvider> of
// `@latchkey/react` and whose errors must be its `AuthError`. That holds only if the entries use
// one context object and one class, which tsup.config.ts ensures by emitting them as
// `dist/context.{js,cjs}` and `dist/errors.{js,cjs}` that every entry imports. Loaded here as a
// bundler (ESM) and as Node's `require` (CJS, e.g. Jest) load them, and rendered on the server.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, test, vi } from 'vitest';
import { signedIn } from './helpers';

type Main = typeof import('../src/index');
type Passkeys = typeof import('../src/passkeys');
type Fetch = typeof import('../src/fetch');
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

/** Calls its `use` as it renders: a hook's result, taken out of a server render. */
function Rendering({ use }: { use: () => void }) {
  use();
  return null;
}

/** The fetch entry's `useAuthFetch({ onUnauthenticated: 'reject' })` inside the main entry's provider. */
function authFetchOf(main: Main, fetchEntry: Fetch): (input: string) => Promise<Response> {
  let authFetch: ((input: string) => Promise<Response>) | undefined;
  const use = () => {
    authFetch = fetchEntry.useAuthFetch({ onUnauthenticated: 'reject' });
  };
  const { createElement } = require('react') as React;
  (require('react-dom/server') as ReactDomServer).renderToString(
    createElement(
      main.AuthProvider,
      { initialSession: signedIn() },
      createElement(Rendering, { use }),
    ),
  );
  if (!authFetch) throw new Error('useAuthFetch did not render');
  return authFetch;
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

  test('ESM and CJS: useAuthFetch of the fetch entry rejects with the AuthError of the main entry', async () => {
    // No browser here: the page's location and a server that answers every request 401.
    vi.stubGlobal('location', new URL('http://localhost/profile'));
    vi.stubGlobal('fetch', async () => new Response(null, { status: 401 }));
    try {
      const esm: [Main, Fetch] = [
        await import(/* @vite-ignore */ new URL('index.js', dist).href),
        await import(/* @vite-ignore */ new URL('fetch.js', dist).href),
      ];
      const cjs: [Main, Fetch] = [
        require(new URL('index.cjs', dist).pathname),
        require(new URL('fetch.cjs', dist).pathname),
      ];
      for (const [main, fetchEntry] of [esm, cjs]) {
        const authFetch = authFetchOf(main, fetchEntry);
        const error = await authFetch('/api/me').catch((reason: unknown) => reason);
        expect(error).toBeInstanceOf(main.AuthError);
        expect(error).toMatchObject({ code: 'session_expired', status: 401 });
      }
    } finally {
      vi.unstubAllGlobals();
    }
  });

  test("every built file starts with the 'use client' directive", () => {
    const files = readdirSync(dist).filter((name) => /\.c?js$/.test(name));
    // ESM entries share the code they both use (the session engine) as chunks.
    expect(files.filter((name) => !/^chunk-\w+\.js$/.test(name)).sort()).toEqual([
      'context.cjs',
      'context.js',
      'errors.cjs',
      'errors.js',
      'fetch.cjs',
      'fetch.js',
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
