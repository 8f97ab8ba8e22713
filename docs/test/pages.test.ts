// The pages' own checks: the error catalogue matches core's error table, and every code sample a
// reader copies is included from a real file (VitePress 1.6 would silently include a whole file
// for a region that does not exist).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from '../scripts/error-catalogue';

const docs = fileURLToPath(new URL('..', import.meta.url));

/** Every page of the site, as paths below docs/. */
function pages(directory = docs): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return pages(path);
    return entry.name.endsWith('.md') ? [relative(docs, path)] : [];
  });
}

describe('the docs pages', () => {
  it('show every error code of core, with its status, cause and remedy', () => {
    const page = readFileSync(join(docs, 'reference/errors.md'), 'utf8');
    expect(page, 'run: pnpm --filter @latchkey/docs exec tsx scripts/error-catalogue.ts').toBe(
      errorCatalogue(),
    );
  });

  it('include code samples from files and regions that exist, and hold no longer code by hand', () => {
    const problems: string[] = [];
    for (const page of pages()) {
      const text = readFileSync(join(docs, page), 'utf8');
      for (const [, file, region] of text.matchAll(/^<<< @\/(\S+?)(?:#(\S+))?$/gm)) {
        const path = join(docs, file!);
        if (!existsSync(path)) problems.push(`${page}: includes ${file}, which does not exist`);
        else if (region && !readFileSync(path, 'utf8').includes(`// #region ${region}\n`)) {
          problems.push(`${page}: includes ${file}#${region}, a region it does not have`);
        }
      }
      for (const [, body] of text.matchAll(/^```[\w-]*\n([\s\S]*?)^```$/gm)) {
        const lines = body!.split('\n').filter(Boolean).length;
        if (lines > 3)
          problems.push(`${page}: a ${lines}-line code block not included from a file`);
      }
    }
    expect(problems).toEqual([]);
  });
});
