#!/usr/bin/env node
// Part of `npm test`: the committed mutation report (reports/mutation/mutation.json, written by
// `pnpm mutate`) must describe the current sources of every mutated module, and its score must
// meet the threshold in stryker.config.mjs. Every `Stryker disable` in those modules needs a
// reason, and there may be fewer than 40 of them.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { default: config } = await import(pathToFileURL(join(root, 'stryker.config.mjs')).href);
const MAX_DISABLES = 40;
const problems = [];

let report;
try {
  report = JSON.parse(readFileSync(join(root, 'reports/mutation/mutation.json'), 'utf8'));
} catch (error) {
  console.error(
    `[mutation] no readable reports/mutation/mutation.json (${error.message}): run pnpm mutate.`,
  );
  process.exit(1);
}

const mutated = [...new Set(config.mutate.map((pattern) => pattern.replace(/:\d+-\d+$/, '')))];
const reported = Object.keys(report.files);
for (const file of mutated) {
  if (!reported.includes(file)) problems.push(`${file} is mutated but not in the report`);
}
for (const file of reported) {
  if (!mutated.includes(file)) problems.push(`${file} is in the report but no longer mutated`);
}

const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, other: 0 };
let disables = 0;
for (const file of mutated.filter((name) => reported.includes(name))) {
  let source;
  try {
    source = readFileSync(join(root, file), 'utf8');
  } catch {
    problems.push(`${file} does not exist`);
    continue;
  }
  if (source !== report.files[file].source) {
    problems.push(`${file} changed since the report was written`);
  }
  for (const mutant of report.files[file].mutants) {
    if (mutant.status in counts) counts[mutant.status] += 1;
    else counts.other += 1;
  }
  source.split('\n').forEach((line, index) => {
    if (!/Stryker disable/.test(line)) return;
    disables += 1;
    if (!/Stryker disable(?: next-line)? [\w,]+: \S/.test(line)) {
      problems.push(`${file}:${index + 1}: a Stryker disable without a reason`);
    }
  });
}

const detected = counts.Killed + counts.Timeout;
const valid = detected + counts.Survived + counts.NoCoverage;
const score = valid === 0 ? 0 : (100 * detected) / valid;
const floor = config.thresholds.break;
if (score < floor) problems.push(`mutation score ${score.toFixed(2)} is under ${floor}`);
if (disables >= MAX_DISABLES)
  problems.push(`${disables} Stryker disables (fewer than ${MAX_DISABLES} allowed)`);

console.log(
  `[mutation] score ${score.toFixed(2)} (floor ${floor}) over ${mutated.length} modules: ` +
    `${counts.Killed} killed, ${counts.Timeout} timed out, ${counts.Survived} survived, ` +
    `${counts.NoCoverage} without coverage, ${counts.Ignored} ignored; ${disables} disables`,
);
if (problems.length > 0) {
  for (const problem of problems) console.error(`[mutation] ${problem}`);
  console.error('[mutation] run `pnpm mutate` (see README, Testing) and commit reports/mutation/.');
  process.exit(1);
}
