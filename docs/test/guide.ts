// Runs a guide's example the way its page tells the reader to: the page's dev IdP command, its
// run command, and the whole of every file it includes from docs/examples/, in a fresh directory
// on free ports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signInAtDevIdp } from '@latchkey/dev-idp';
import {
  type DocumentedExample,
  documentedExample,
  type Page,
  type StartedExample,
  shellEnv,
  startExample,
  type TestBrowser,
} from '@latchkey/test-utils';
import { docs } from './pages';

/** The example that the page `guide/<name>.md` documents. */
export function guideExample(name: string): DocumentedExample {
  return documentedExample(readFileSync(join(docs, 'guide', `${name}.md`), 'utf8'), docs);
}

/** Options of {@link startGuide}. */
export interface StartGuideOptions {
  /**
   * Which of the page's run commands, in the order to start them (default: all of them, as the
   * page lists them: an API before the app that calls it).
   */
  runCommands?: readonly string[];
  /** Variables the page tells the reader to set, added to the shell's. */
  env?: NodeJS.ProcessEnv;
  /** A path that answers once the app listens. Default `/`. */
  probe?: string;
}

/**
 * Starts the example of `guide/<name>.md` as its page prints it, with the packages the docs
 * install (the workspace builds, Express, Fastify, React, tsx).
 */
export function startGuide(name: string, options: StartGuideOptions = {}): Promise<StartedExample> {
  const example = guideExample(name);
  return startExample(example, options.runCommands ?? example.runCommands, {
    nodeModules: join(docs, 'node_modules'),
    env: shellEnv(options.env),
    ...(options.probe === undefined ? {} : { probe: options.probe }),
  });
}

/**
 * What a reader does on an example's home page: follow its sign-in link to the dev IdP and sign
 * `username` in there (password `<username>-password`). Resolves the home page, the IdP's page
 * the link led to, and the page after the IdP.
 */
export async function signInFromHome(
  browser: TestBrowser,
  site: string,
  username: string,
): Promise<{ home: Page; login: Page; landed: Page }> {
  const home = await browser.get(`${site}/`);
  const href = /href="(\/auth\/login[^"]*)"/.exec(home.body)?.[1];
  if (href === undefined) throw new Error(`${site}/ has no link to /auth/login:\n${home.body}`);
  const login = await browser.get(`${site}${href}`);
  const landed = await signInAtDevIdp(browser, login, {
    username,
    password: `${username}-password`,
  });
  return { home, login, landed };
}
