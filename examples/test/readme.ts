/** A README's runnable example, as its marked code blocks give it. */
export interface ReadmeExample {
  /** The command that starts the dev IdP, continuation lines joined: `npx latchkey-dev-idp ...`. */
  idpCommand: string;
  /**
   * The commands that run the example, one per way it comes in (`npx tsx server.ts`, or
   * `npx tsx express.ts` and `npx tsx fastify.ts`).
   */
  runCommands: string[];
  /** The example's files by name. */
  files: Record<string, string>;
}

/**
 * The code blocks of `readme` marked `<!-- example: <name> -->` on the line before their fence:
 * `idp` (a shell block with the dev IdP command), `run` (a shell block with the command that runs
 * the example) and any file name (the file's content). The markers are HTML comments: readers of
 * the README on GitHub or npm do not see them.
 */
export function readmeExample(readme: string): ReadmeExample {
  const blocks = new Map<string, string>();
  const marked = /<!-- example: (\S+) -->\r?\n```[a-z]*\r?\n([\s\S]*?)^```$/gm;
  for (const [, name, code] of readme.matchAll(marked)) {
    if (name === undefined || code === undefined) continue;
    if (blocks.has(name)) throw new Error(`two README blocks are marked "example: ${name}"`);
    blocks.set(name, code);
  }
  /** Every line of block `name` that starts with `program`, continuation lines joined. */
  const commands = (name: string, program: string): string[] => {
    const block = blocks.get(name);
    if (block === undefined) throw new Error(`no README block is marked "example: ${name}"`);
    const joined = block.replaceAll(/\\\r?\n\s*/g, '');
    const lines = joined.split('\n').filter((text) => text.startsWith(`${program} `));
    if (lines.length === 0) throw new Error(`the "${name}" block has no line starting ${program}`);
    return lines.map((line) => {
      const text = line.replace(/\s+#.*$/, '').trim();
      if (/['"`$;&|<>]/.test(text)) throw new Error(`"${text}" is more than a plain command line`);
      return text;
    });
  };
  const [idpCommand] = commands('idp', 'npx latchkey-dev-idp') as [string];
  const runCommands = commands('run', 'npx');
  blocks.delete('idp');
  blocks.delete('run');
  if (blocks.size === 0) throw new Error('no README block is marked as a file of the example');
  return { idpCommand, runCommands, files: Object.fromEntries(blocks) };
}
