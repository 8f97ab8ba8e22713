// Runs a guide's example the way its page tells the reader to: the page's dev IdP command, its
// run command, and the whole of every file it includes from docs/examples/, in a fresh directory
// on free ports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DocumentedExample,
  documentedExample,
  type StartedExample,
  shellEnv,
  startExample,
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
