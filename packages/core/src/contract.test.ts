// `@latchkey/core/contract` is bundled into browser apps (through `@latchkey/react`): every module
// it reaches must run in a browser, so none may import a Node built-in or a dependency, nor use
// Node's globals.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)'([^']+)'/g;
const NODE_GLOBALS = /\b(?:Buffer|process|require|__dirname|__filename|global|setImmediate)\b/;

/** Every module `entry` reaches through its imports (type-only ones too), with its source. */
function moduleGraph(entry: string): Map<string, string> {
  const graph = new Map<string, string>();
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const source = readFileSync(new URL(file, import.meta.url), 'utf8');
    graph.set(file, source);
    for (const [, specifier] of source.matchAll(IMPORT)) {
      expect(specifier, `${file} imports '${specifier}'`).toMatch(/^\.\/[\w-]+$/);
      visit(`${specifier}.ts`);
    }
  };
  visit(entry);
  return graph;
}

describe('@latchkey/core/contract', () => {
  it('reaches only its own modules: no Node built-in (node:*), no dependency', () => {
    const graph = moduleGraph('./contract.ts');
    expect([...graph.keys()]).toEqual(
      expect.arrayContaining(['./acr.ts', './challenge.ts', './rbac.ts', './session-json.ts']),
    );
  });

  it("uses none of Node's globals (Buffer, process, require, ...)", () => {
    for (const [file, source] of moduleGraph('./contract.ts')) {
      expect(source.match(NODE_GLOBALS)?.[0], file).toBeUndefined();
    }
  });
});
