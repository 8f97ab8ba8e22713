// Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time by package, and the functions
// with the most self and inclusive time. Usable alone: `node lib/profile.mjs <file.cpuprofile>`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where a script URL comes from: an npm package, a latchkey workspace package, Node, or the bench. */
export function packageOf(url) {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:internal/deps/undici')) return 'node (undici: fetch, Request, Headers)';
  if (url.startsWith('node:')) return 'node (internals)';
  const latchkey = /\/packages\/([^/]+)\/dist\//.exec(url);
  if (latchkey) return `@latchkey/${latchkey[1]}`;
  const modules = url.split('/node_modules/');
  if (modules.length > 1) {
    const rest = modules[modules.length - 1].split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/bench/')) return 'bench server';
  return url;
}

const IDLE = new Set(['(idle)', '(program)']);
/** Packages latchkey's adapters call back into: the frameworks and the benchmark's own routes. */
const CALLBACK_PACKAGES = new Set(['express', 'router', 'fastify', 'bench server']);

/**
 * @param {any} profile a parsed .cpuprofile
 * @returns {{ busyMs: number, gcMs: number, byPackage: Array<[string, number]>, self: Array<[string, number]>, inclusive: Array<[string, number]> }}
 *   times in ms; `busyMs` excludes idle time; `inclusive` leaves out time spent in the framework
 *   or app code a function called back into.
 */
export function summarize(profile) {
  /** @type {Map<number, any>} */
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (node) => {
    const frame = node.callFrame;
    const where = frame.url.startsWith('node:') ? frame.url : packageOf(frame.url);
    return `${frame.functionName || '(anonymous)'} · ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  };
  const self = new Map();
  const inclusive = new Map();
  const byPackage = new Map();
  let busy = 0;
  let gc = 0;
  const add = (map, key, value) => map.set(key, (map.get(key) ?? 0) + value);
  for (let index = 0; index < profile.samples.length; index++) {
    const delta = (profile.timeDeltas[index + 1] ?? profile.timeDeltas[index] ?? 0) / 1000;
    let node = nodes.get(profile.samples[index]);
    if (!node || IDLE.has(node.callFrame.functionName)) continue;
    busy += delta;
    if (node.callFrame.functionName === '(garbage collector)') gc += delta;
    add(self, keyOf(node), delta);
    add(byPackage, packageOf(node.callFrame.url), delta);
    const seen = new Set();
    // Time below a framework or app frame is the app's, even when latchkey called into it (its
    // middleware continues with `next()` or `done()`): it does not count for the frames above.
    let inApp = false;
    while (node) {
      const key = keyOf(node);
      inApp ||= CALLBACK_PACKAGES.has(packageOf(node.callFrame.url));
      if (!inApp && !seen.has(key) && node.callFrame.functionName !== '(root)') {
        seen.add(key);
        add(inclusive, key, delta);
      }
      node = nodes.get(parent.get(node.id));
    }
  }
  const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  return {
    busyMs: busy,
    gcMs: gc,
    byPackage: top(byPackage, 12),
    self: top(self, 15),
    inclusive: top(inclusive, 400),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const summary = summarize(JSON.parse(readFileSync(process.argv[2], 'utf8')));
  const pct = (ms) => `${((100 * ms) / summary.busyMs).toFixed(1)}%`;
  console.log(`busy ${summary.busyMs.toFixed(0)} ms, GC ${pct(summary.gcMs)}`);
  console.log('\nself time by package');
  for (const [name, ms] of summary.byPackage) console.log(`  ${pct(ms).padStart(6)}  ${name}`);
  console.log('\nself time by function');
  for (const [name, ms] of summary.self) console.log(`  ${pct(ms).padStart(6)}  ${name}`);
  console.log('\ninclusive time, latchkey functions');
  for (const [name, ms] of summary.inclusive.filter(([n]) => n.includes('@latchkey/')).slice(0, 20))
    console.log(`  ${pct(ms).padStart(6)}  ${name}`);
}
