// Testing your app with the dev IdP: the page's example is itself a Vitest file. It is run as a
// reader runs it: every file the page includes, in a fresh project ("type": "module", the
// packages the docs install and Vitest), with the page's own command; every test in it passes.
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { shellEnv, startProcess, type TestProcess } from '@latchkey/test-utils';
import { afterEach, expect, it } from 'vitest';
import { docs } from '../pages';

const page = readFileSync(join(docs, 'guide', 'testing.md'), 'utf8');
const examples = join(docs, 'examples', 'testing');
let project: string | undefined;
let run: TestProcess | undefined;

afterEach(() => {
  run?.killGroup();
  if (project) rmSync(project, { recursive: true, force: true });
  [run, project] = [undefined, undefined];
});

it('runs the example tests with the page command, in a fresh project, and all of them pass', async () => {
  // Every file of the example is on the page: a reader copies each one.
  const included = new Set(
    [...page.matchAll(/^<<< @\/examples\/testing\/(\S+?)(?:#\S+)?$/gm)].map(([, file]) => file!),
  );
  expect([...included].sort()).toEqual(readdirSync(examples).sort());
  const command = /^## Run the tests\n\n```sh\n(.*)\n```$/m.exec(page)?.[1];
  expect(command).toBe('npx vitest run');

  project = mkdtempSync(join(tmpdir(), 'latchkey-testing-'));
  writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
  for (const file of included) {
    writeFileSync(join(project, basename(file)), readFileSync(join(examples, file)));
  }
  // What `npm install` gives the reader: the docs' packages, Vitest among them, with its command.
  symlinkSync(join(docs, 'node_modules'), join(project, 'node_modules'), 'dir');

  const [program, ...args] = command!.split(' ');
  run = startProcess(program!, args, { cwd: project, env: shellEnv({ NO_COLOR: '1' }) });
  const exit = await run.exited(90_000);
  const output = `${run.stdout()}\n${run.stderr()}`;
  expect(exit.code, output).toBe(0);
  const its = readFileSync(join(examples, 'app.test.ts'), 'utf8').match(/^it\(/gm)?.length;
  expect(its).toBe(6);
  expect(output).toMatch(new RegExp(`Tests\\s+${its} passed \\(${its}\\)`));
}, 120_000);
