// The pages' own checks: the error catalogue matches core's error table, and every code sample a
// reader copies is included from a real file (VitePress 1.6 would silently include a whole file
// for a region that does not exist).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from '../scripts/error-catalogue';
import { docs, pages } from './pages';

describe('the docs pages', () => {
  it('show every error code of core, with its status, cause and remedy', () => {
    const page = readFileSync(join(docs, 'reference/errors.md'), 'utf8');
    expect(page, 'run: pnpm --filter @latchkey/docs exec tsx scripts/error-catalogue.ts').toBe(
      errorCatalogue(),
    );
  });

  it('include code samples from files and regions that exist, and hold no longer code by hand', () => {
    const problems: string[] = [];
    for (const page of pages().filter((name) => !name.startsWith('reference/api/'))) {
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

  it('whose example is an app the reader runs each have a test that runs it', () => {
    const untested = pages()
      .filter((page) => readFileSync(join(docs, page), 'utf8').includes('<!-- example: run -->'))
      .map((page) => /^guide\/(.+)\.md$/.exec(page)?.[1] ?? page)
      .filter((name) => {
        const test = join(docs, 'test/guides', `${name}.test.ts`);
        return !existsSync(test) || !readFileSync(test, 'utf8').includes(`startGuide('${name}'`);
      });
    expect(untested).toEqual([]);
  });
});
