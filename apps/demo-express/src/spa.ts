import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SessionResponse } from '@latchkey/demo-react/ssr';

export type { SessionResponse } from '@latchkey/demo-react/ssr';

/** The React app (`apps/demo-react`) as demo-express serves it. */
export interface Spa {
  /** The client build (`apps/demo-react/dist`), or `undefined` when it was not built. */
  readonly dist: string | undefined;
  /**
   * The full HTML of the page at `path` for `session` (`undefined`: unknown, the browser asks).
   * Without the client build the same markup comes without scripts: every page still works.
   */
  render(path: string, session: SessionResponse | undefined): string;
}

/**
 * Loads the app's server renderer and its built `index.html`, both through the workspace
 * package `@latchkey/demo-react` (its `./ssr` export: the sources under tests, the build
 * otherwise).
 */
export async function loadSpa(): Promise<Spa> {
  let ssr: typeof import('@latchkey/demo-react/ssr');
  try {
    ssr = await import('@latchkey/demo-react/ssr');
  } catch (cause) {
    const missing =
      (cause as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' &&
      String((cause as Error).message).includes('demo-react');
    if (!missing) throw cause;
    throw new Error(
      'The React app is not built: run `pnpm --filter @latchkey/demo-react build` (`npm run demo` builds it).',
      { cause },
    );
  }
  const root = dirname(createRequire(import.meta.url).resolve('@latchkey/demo-react/package.json'));
  const dist = join(root, 'dist');
  let template: string | undefined;
  try {
    template = readFileSync(join(dist, 'index.html'), 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  const page = template ?? ssr.FALLBACK_TEMPLATE;
  ssr.checkTemplate(page);
  return {
    dist: template === undefined ? undefined : dist,
    render: (path, session) => ssr.renderDocument(page, path, session),
  };
}
