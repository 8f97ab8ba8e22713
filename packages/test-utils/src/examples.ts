// Runs a documented example as a reader would: the page's (or README's) files in a fresh
// directory, the dev IdP and the app started with the page's own commands. The package READMEs
// (examples/) and the docs guides (docs/) share it, so both are held to their word the same way.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startProcess, type TestProcess } from './processes';
import { freePort } from './servers';

/** A documented, runnable example, as its marked code blocks and includes give it. */
export interface DocumentedExample {
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
 * The example a page documents. Code blocks are marked with an HTML comment on the line before
 * their fence, which readers on GitHub, npm or the docs site do not see:
 * `<!-- example: idp -->` (a shell block with the dev IdP command), `<!-- example: run -->` (a
 * shell block with the command that runs the example) and `<!-- example: <file name> -->` (the
 * file's content). With `includeRoot`, each VitePress include `<<< @/<path>` adds the whole file
 * at `includeRoot/<path>` under its base name, region or not: the reader copies every part.
 */
export function documentedExample(markdown: string, includeRoot?: string): DocumentedExample {
  const blocks = new Map<string, string>();
  const add = (name: string, code: string) => {
    if (blocks.has(name)) throw new Error(`two blocks of the page are the example's "${name}"`);
    blocks.set(name, code);
  };
  const marked = /<!-- example: (\S+) -->\r?\n```[a-z]*\r?\n([\s\S]*?)^```$/gm;
  for (const [, name, code] of markdown.matchAll(marked)) add(name ?? '', code ?? '');
  if (includeRoot !== undefined) {
    const included = new Set<string>();
    for (const [, path] of markdown.matchAll(/^<<< @\/(\S+?)(?:#\S+)?$/gm)) {
      if (path === undefined || included.has(path)) continue;
      included.add(path);
      add(basename(path), readFileSync(join(includeRoot, path), 'utf8'));
    }
  }
  /** Every line of block `name` that starts with `program`, continuation lines joined. */
  const commands = (name: string, program: string): string[] => {
    const block = blocks.get(name);
    if (block === undefined) throw new Error(`no block is marked "example: ${name}"`);
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
  if (blocks.size === 0) throw new Error('no block of the page is a file of the example');
  return { idpCommand, runCommands, files: Object.fromEntries(blocks) };
}

/** The documented ports and the free ports a run puts in their place. */
interface Ports {
  /** The app, documented on 3000. */
  app: number;
  /** An API the app calls, documented on 3001. */
  api: number;
  /** The dev IdP, documented on 4000. */
  idp: number;
}

/**
 * A run changes the documented port numbers only, to free ports, wherever they appear (commands,
 * code), and nothing else.
 */
function onPorts(text: string, ports: Ports): string {
  return text
    .replaceAll(/\b3000\b/g, String(ports.app))
    .replaceAll(/\b3001\b/g, String(ports.api))
    .replaceAll(/\b4000\b/g, String(ports.idp));
}

/** Options of {@link startExample}. */
export interface StartExampleOptions {
  /** The `node_modules` the example imports from (the workspace builds, frameworks, tsx). */
  nodeModules: string;
  /** The environment of both commands (see `shellEnv`). */
  env: NodeJS.ProcessEnv;
  /** A path that answers once the app listens. Default `/`. */
  probe?: string;
}

/** A started example. {@link stopExamples} ends it with everything else started. */
export interface StartedExample {
  /** The app's origin: `http://localhost:<free port>` (the documented 3000). */
  site: string;
  /** The origin of the API the example runs beside the app (the documented 3001). */
  api: string;
  /** The dev IdP's origin: `http://localhost:<free port>`. */
  issuer: string;
  /** The process of the last run command (the app), for its output. */
  app: TestProcess;
  /** The fresh directory the files were written to. */
  directory: string;
}

const running: TestProcess[] = [];
const directories: string[] = [];

/** Ends every example started so far and removes their directories (call it in `afterEach`). */
export function stopExamples(): void {
  for (const program of running.splice(0)) program.killGroup();
  for (const directory of directories.splice(0))
    rmSync(directory, { recursive: true, force: true });
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv): TestProcess {
  const [program, ...args] = command.split(/\s+/);
  const started = startProcess(program ?? '', args, { cwd, env });
  running.push(started);
  return started;
}

/** Waits until `url` answers (any status), or fails with the output of `program` if it exits. */
async function answering(url: string, program: TestProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void program.exited(timeoutMs + 1000).then(
    () => {
      exited = true;
    },
    () => {},
  );
  for (;;) {
    try {
      await fetch(url, { redirect: 'manual' });
      return;
    } catch {
      if (exited || Date.now() > deadline) {
        throw new Error(
          `${url} did not answer${exited ? ' (the program exited)' : ''}\nstdout:\n${program.stdout()}\nstderr:\n${program.stderr()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Writes the example's files into a fresh directory (`"type": "module"`, `node_modules` linked),
 * starts the dev IdP and then each of `runCommands` there as printed (a reader's terminals: an
 * API before the app that calls it), on free ports, and resolves once the app (the last command)
 * answers.
 */
export async function startExample(
  example: DocumentedExample,
  runCommands: string | readonly string[],
  options: StartExampleOptions,
): Promise<StartedExample> {
  const ports: Ports = { app: await freePort(), api: await freePort(), idp: await freePort() };
  const directory = mkdtempSync(join(tmpdir(), 'latchkey-example-'));
  directories.push(directory);
  writeFileSync(join(directory, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(options.nodeModules, join(directory, 'node_modules'), 'dir');
  for (const [name, code] of Object.entries(example.files)) {
    writeFileSync(join(directory, name), onPorts(code, ports));
  }
  const idp = run(onPorts(example.idpCommand, ports), directory, options.env);
  await idp.waitForOutput(/Press Ctrl\+C to stop/);
  const commands = typeof runCommands === 'string' ? [runCommands] : runCommands;
  const api = `http://localhost:${ports.api}`;
  let app: TestProcess | undefined;
  for (const [index, command] of commands.entries()) {
    app = run(onPorts(command, ports), directory, options.env);
    // Every command before the last serves the API.
    if (index < commands.length - 1) await answering(`${api}/`, app);
  }
  const site = `http://localhost:${ports.app}`;
  await answering(`${site}${options.probe ?? '/'}`, app!);
  return { site, api, issuer: `http://localhost:${ports.idp}`, app: app!, directory };
}
