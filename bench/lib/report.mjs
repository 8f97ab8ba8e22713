// The report: RESULTS.md rendered from a run's results (the JSON that run.mjs writes beside it).
// Pure: no I/O and no state, so the same results always render the same markdown
// (test/report.test.mjs renders test/fixtures/results.json).
import {
  DIAGNOSTICS,
  P99_TARGET,
  PEER_REFERENCES,
  SCENARIOS,
  scenarioById,
  TARGETS,
} from './scenarios.mjs';
import { duration, fixed, mb, median, spread, table, withSpread } from './stats.mjs';

/**
 * The results of a run, as run.mjs collects them (plain JSON). Parts that did not run are absent.
 * @typedef {object} Results
 * @property {{ cpu: string, cores: number, ram: number, node: string, platform: string, date: string, commit: string, loadBefore: number[], loadAfter?: number[], pinned: boolean }} machine
 * @property {import('./options.mjs').Settings} settings
 * @property {boolean} quick
 * @property {number} elapsed seconds the run took
 * @property {Record<string, string>} versions of the peers and tools
 * @property {Record<string, { runs: Run[], maxRss?: number }>} [throughput] by scenario id;
 *   `maxRss` is absent for a row that borrows another scenario's server
 * @property {number} [jwksFetches] of the token issuer's JWKS, over the throughput part
 * @property {Record<string, any>} [profiles] by scenario id: lib/profile.mjs's summary, plus
 *   `file`, `rps`, `requests` and CPU µs per request (`processUs`, `mainUs`, `gcUs`)
 * @property {{ scenario: string, count: number, failures: number, samples: Array<{ answered: number, refused: number }> }} [revocation]
 *   ms from sending each sign-out on instance A to its answer and to the first refusal on B
 * @property {any} [memory] lib/memory-verify.mjs's or lib/memory-load.mjs's result, plus `method`
 * @property {{ results: Array<{ name: string, avg: number, p50: number, p99: number, per: number }> }} [micro]
 *   micro.mjs's result (times in ns)
 * @property {{ count: number } & Record<'latchkey' | 'eoc', Record<'callback' | 'refresh', { cpuUs: Range, wallMs: Range }>>} [cold]
 *   lib/cold-paths.mjs's result
 * @property {Array<{ name: string, version: string, minified: number, gzip: number }>} [size] bytes
 * @property {string[]} notes
 *
 * @typedef {object} Run one measured run (lib/load.mjs's result, plus the CPU around it)
 * @property {number} round
 * @property {number} rps
 * @property {number} p50 ms
 * @property {number} p99 ms
 * @property {number} serverCpu share of a core
 * @property {number} clientCpu share of a core
 * @property {number} foreign0 share of core 0 that other processes took
 * @property {number} non2xx
 * @property {number} errors
 * @property {number} timeouts
 * @property {number} [retried] times the run was repeated
 *
 * @typedef {{ median: number, min: number, max: number }} Range
 * @typedef {ReturnType<typeof summaries>} Summary
 */

/**
 * RESULTS.md for a run's results.
 * @param {Results} results @returns {string} markdown
 */
export function renderReport(results) {
  const summary = summaries(results.throughput ?? {});
  const lines = [
    ...header(results),
    ...(summary.size
      ? [...throughputSection(results, summary), ...targetsSection(summary, results)]
      : []),
    ...profilesSection(results),
    ...revocationSection(results.revocation),
    ...memorySection(results.memory),
    ...coldSection(results.cold),
    ...growthSection(results.micro, results.memory),
    ...microSection(results.micro),
    ...sizeSection(results.size),
    ...(results.notes?.length
      ? ['## Notes', '', ...results.notes.map((note) => `- ${note}`), '']
      : []),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

/**
 * Per-scenario figures, in the scenario table's order; ratios and µs added are paired with the
 * bare run of the same round. @param {NonNullable<Results['throughput']>} throughput
 */
function summaries(throughput) {
  const out = new Map();
  for (const scenario of SCENARIOS) {
    const data = throughput[scenario.id];
    if (!data) continue;
    const runs = data.runs;
    const base = scenario.baseline ? throughput[scenario.baseline]?.runs : undefined;
    const paired = runs.map((run) => base?.find((b) => b.round === run.round));
    /** Medians and spread of `measure(run, other's run of the same round)` over the rounds. */
    const against = (id, measure) => {
      const other = throughput[id]?.runs;
      if (!other) return undefined;
      return spread(
        runs.map((run) => {
          const same = other.find((o) => o.round === run.round);
          return same ? measure(run, same) : Number.NaN;
        }),
      );
    };
    out.set(scenario.id, {
      scenario,
      /** rps over another row's rps, paired by round (the floor rows). @param {string} id */
      ratioTo: (id) => against(id, (run, other) => run.rps / other.rps),
      /** µs per request over another row's, paired by round. @param {string} id */
      addedTo: (id) => against(id, (run, other) => 1e6 / run.rps - 1e6 / other.rps),
      p99Ratio: base ? against(scenario.baseline, (run, other) => run.p99 / other.p99) : undefined,
      rps: spread(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      ratio: base ? spread(runs.map((r, i) => r.rps / (paired[i]?.rps ?? Number.NaN))) : undefined,
      addedUs: base
        ? spread(runs.map((r, i) => 1e6 / r.rps - 1e6 / (paired[i]?.rps ?? Number.NaN)))
        : undefined,
      serverCpu: median(runs.map((r) => r.serverCpu)),
      foreign: median(runs.map((r) => r.foreign0)),
      retried: runs.reduce((n, r) => n + (r.retried ?? 0), 0),
      clientCpu: median(runs.map((r) => r.clientCpu)),
      failures: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
      maxRss: data.maxRss,
    });
  }
  return out;
}

/** Title, machine and settings. @param {Results} results */
function header(results) {
  const m = results.machine;
  const { settings } = results;
  return [
    `# latchkey benchmark results${results.quick ? ' (quick smoke run: not representative)' : ''}`,
    '',
    `Written by \`${results.quick ? 'node run.mjs --quick' : 'pnpm bench'}\` on ${m.date}. See [README.md](README.md) for the method.`,
    '',
    table(
      ['Machine', ''],
      [
        ['CPU', `${m.cpu}`],
        ['Cores', `${m.cores}`],
        ['RAM', `${fixed(m.ram / 1024 ** 3, 1)} GiB`],
        ['Node.js', m.node],
        ['latchkey commit', m.commit],
        ['OS', m.platform],
        [
          'Load average (1/5/15 min) before → after',
          `${m.loadBefore.map((v) => fixed(v, 2)).join(' / ')} → ${(m.loadAfter ?? []).map((v) => fixed(v, 2)).join(' / ')}`,
        ],
        [
          'Pinning',
          m.pinned
            ? 'servers `taskset -c 0`, load generator `taskset -c 1`'
            : 'none (taskset missing)',
        ],
        ['Duration of this run', `${fixed(results.elapsed / 60, 1)} min`],
      ],
    ),
    '',
    `Settings: ${settings.connections} connections, ${settings.warmup} s warm-up per scenario, then ${settings.runs} measured runs of ${settings.duration} s per scenario, interleaved (round-robin, order rotated each round). Versions: ${Object.entries(
      results.versions,
    )
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}.`,
    '',
  ];
}

/** The throughput table and what to read into it. @param {Results} results @param {Summary} summary */
function throughputSection(results, summary) {
  const rows = [...summary.values()];
  const saturated = rows.filter((s) => s.clientCpu > 0.9);
  const starved = rows.filter((s) => s.serverCpu < 0.9);
  return [
    '## Throughput',
    '',
    'Median of the measured runs, (min–max) across runs. "µs added" is 1/rps − 1/rps_bare per request and "× bare" is rps / rps_bare, both paired with the bare route of the same framework measured in the same round, then the median taken. p50/p99 are medians across runs of each run\'s latency percentiles (2xx responses, 50 connections). CPU: share of a core used by the server (core 0) / by the load generator (core 1) / by other processes on core 0 during the runs (the machine is shared: a measured run during which others took more than 10% of core 0 is repeated, at most twice, and the least disturbed attempt kept). Peak RSS is the whole server process\'s `maxRSS` over warm-up and all runs.',
    '',
    table(
      [
        'Scenario',
        'req/s',
        'p50 ms',
        'p99 ms',
        'µs added',
        '× bare',
        'CPU server / client / others',
        'Peak RSS',
        'non-2xx',
      ],
      rows.map((s) => [
        s.scenario.label,
        withSpread(s.rps),
        fixed(s.p50, 2),
        fixed(s.p99, 2),
        s.addedUs ? withSpread(s.addedUs, 1) : '—',
        s.ratio ? withSpread(s.ratio, 2) : '1',
        `${fixed(100 * s.serverCpu)}% / ${fixed(100 * s.clientCpu)}% / ${fixed(100 * s.foreign)}%`,
        s.maxRss === undefined ? '(bare server)' : mb(s.maxRss),
        s.failures ? `**${s.failures} failed**` : '0',
      ]),
    ),
    '',
    ...(results.jwksFetches === undefined
      ? []
      : [
          `The token issuer's JWKS was fetched ${results.jwksFetches} times in all (once per verifier at start-up; none per request).`,
          '',
        ]),
    ...(saturated.length
      ? [
          `Load generator near saturation (client CPU > 90%) for: ${saturated.map((s) => s.scenario.id).join(', ')}. Their req/s may be capped by the client, which would understate the bare route and flatter the ratios against it.`,
          '',
        ]
      : []),
    ...(starved.length
      ? [
          `Server below 90% of its core for: ${starved.map((s) => s.scenario.id).join(', ')} (other processes on the machine, or the client capping it).`,
          '',
        ]
      : []),
  ];
}

/**
 * Each target held or not, what limits the rows, and the peers' reference figures.
 * @param {Summary} summary @param {Results} results
 */
function targetsSection(summary, results) {
  const targetRows = TARGETS.flatMap((target) =>
    target.scenarios.map((id) => {
      const s = summary.get(id);
      const reference = target.floor ?? s?.scenario.baseline;
      const ratio = s && reference ? s.ratioTo(reference) : undefined;
      if (!s || !ratio || !Number.isFinite(ratio.median) || !reference)
        return [target.name, `\`${id}\``, 'not measured', '—', '—'];
      const referenceUs = 1e6 / summary.get(reference).rps.median;
      const budgetUs = referenceUs * (1 / target.min - 1);
      const held = ratio.median >= target.min;
      const always = ratio.min >= target.min;
      const what = target.floor ? `its floor row \`${target.floor}\`` : 'bare';
      return [
        target.name,
        `\`${id}\``,
        `${withSpread(ratio, 2)}`,
        held ? (always ? '**held**' : '**held** (median; not in every run)') : '**not held**',
        `${what} costs ${fixed(referenceUs, 1)} µs/request, so ${target.min}× leaves ${fixed(budgetUs, 1)} µs for auth; measured ${signed(s.addedTo(reference).median)} µs${diagnosticsOf(id, summary)}${held ? '' : limitOf(id, results.profiles ?? {})}`,
      ];
    }),
  );
  return [
    '## Targets',
    '',
    table(
      ['Target', 'Scenario', '× reference (min–max)', 'Result', 'Budget and what limits it'],
      targetRows,
    ),
    '',
    ...p99Section(summary),
    ...whatLimits(summary, results.micro?.results ?? [], results.profiles ?? {}),
    '',
    "Peers, for reference (the issue's figures were measured on a similar machine):",
    '',
    table(
      [
        'Peer',
        'Scenario',
        'measured × bare',
        'measured µs added',
        'issue: × bare',
        'issue: µs added',
      ],
      PEER_REFERENCES.map((peer) => {
        const s = summary.get(peer.scenario);
        return [
          peer.name,
          `\`${peer.scenario}\``,
          s?.ratio ? withSpread(s.ratio, 2) : 'n/a',
          s?.addedUs ? fixed(s.addedUs.median, 1) : 'n/a',
          fixed(peer.ratio, 2),
          fixed(peer.addedUs, 0),
        ];
      }),
    ),
    '',
  ];
}

/**
 * Every latchkey row's p99 latency against its bare route's, paired by round.
 * @param {Summary} summary
 */
function p99Section(summary) {
  const rows = [...summary.values()].filter((s) => s.scenario.latchkey && s.p99Ratio);
  if (!rows.length) return [];
  return [
    `p99 latency of each latchkey row against the bare route of the same round (target: at most ${P99_TARGET}×; medians across rounds, (min–max)):`,
    '',
    table(
      ['Scenario', 'p99 ms', 'bare p99 ms', 'p99 × bare', 'Result'],
      rows.map((s) => {
        const bare = summary.get(s.scenario.baseline);
        return [
          `\`${s.scenario.id}\` p99`,
          fixed(s.p99, 2),
          fixed(bare?.p99 ?? Number.NaN, 2),
          withSpread(s.p99Ratio, 2),
          s.p99Ratio.median <= P99_TARGET ? '**held**' : '**not held**',
        ];
      }),
    ),
    '',
  ];
}

/**
 * How fast a sign-out on one instance reaches another that holds the session in its read cache.
 * @param {Results['revocation']} revocation
 */
function revocationSection(revocation) {
  if (!revocation) return [];
  const refused = revocation.samples.map((sample) => sample.refused);
  const after = revocation.samples.map((sample) => sample.refused - sample.answered);
  const p50 = median(refused);
  const max = refused.length ? Math.max(...refused) : Number.NaN;
  const held = p50 <= 50 && max <= 250 && revocation.failures === 0;
  return [
    '## Revocation across instances',
    '',
    `Two processes of \`${revocation.scenario}\` (A and B, not pinned) share one Redis, each with its own read cache. Each sample signs a new session in on A, reads it twice on B (so B holds it in memory), signs it out on A (\`POST /auth/logout\`, which ends it in Redis and publishes its key), then polls B, one request after another over new connections, until B answers 401. Times are from sending the sign-out; the last column starts from A's answer.`,
    '',
    table(
      [
        'Samples',
        'never refused',
        'to refusal on B: p50',
        'max',
        'after A answered: p50',
        'max',
        'Result',
      ],
      [
        [
          String(revocation.count),
          String(revocation.failures),
          `${fixed(p50, 1)} ms`,
          `${fixed(max, 1)} ms`,
          `${fixed(median(after), 1)} ms`,
          `${fixed(after.length ? Math.max(...after) : Number.NaN, 1)} ms`,
          `${held ? '**held**' : '**not held**'} (p50 ≤ 50 ms, max ≤ 250 ms)`,
        ],
      ],
    ),
    '',
  ];
}

/** CPU per request of each profiled server, then latchkey's hot spots. @param {Results} results */
function profilesSection(results) {
  const profiles = results.profiles ?? {};
  if (!Object.keys(profiles).length) return [];
  return [
    "## Where latchkey's time goes (CPU profiles under load)",
    '',
    `Each profiled server again, alone, after a warm-up, with a V8 CPU profile (through the inspector, sampling every 250 µs) of one ${results.settings.profileSeconds} s run under the same load; these runs are not in the table above (the profiler slows the server). CPU per request: the whole process (from its CPU time), its main thread (the profile's non-idle samples, GC included) and the difference, which ran on other threads: WebCrypto jobs (jose's AES-GCM and signature operations) on the libuv thread pool, and V8's helper threads. Raw profiles: \`bench/profiles/\` (Chrome DevTools, speedscope; \`node lib/profile.mjs <file>\` prints a summary).`,
    '',
    table(
      [
        'Server',
        'req/s (profiled)',
        'process µs/req',
        'main thread µs/req',
        'other threads µs/req',
        'GC µs/req',
      ],
      Object.entries(profiles).map(([id, p]) => [
        `\`${id}\``,
        fixed(p.rps),
        fixed(p.processUs, 1),
        fixed(p.mainUs, 1),
        fixed(Math.max(0, p.processUs - p.mainUs), 1),
        fixed(p.gcUs, 1),
      ]),
    ),
    '',
    ...Object.entries(profiles)
      .filter(([id]) => !id.endsWith('-bare'))
      .flatMap(([id, profile]) => hotSpots(id, profile)),
  ];
}

/** One profiled server's main-thread time by package and function. */
function hotSpots(id, profile) {
  const pct = (ms) => `${fixed((100 * ms) / profile.busyMs, 1)}%`;
  const us = (ms) => fixed((ms * 1000) / profile.requests, 1);
  return [
    `### \`${id}\``,
    '',
    `Main-thread self time by package: ${profile.byPackage
      .slice(0, 8)
      .map(([name, ms]) => `${name} ${pct(ms)}`)
      .join(', ')}.`,
    '',
    table(
      ['Functions of latchkey core, jose, undici, node:crypto (inclusive)', 'share', 'µs/req'],
      hotFunctions(profile, 10).map(([name, ms]) => [`\`${name}\``, pct(ms), us(ms)]),
    ),
    '',
    table(
      ['Top self time (main thread)', 'share', 'µs/req'],
      profile.self.slice(0, 8).map(([name, ms]) => [`\`${name}\``, pct(ms), us(ms)]),
    ),
    '',
  ];
}

/** RSS and heap at each checkpoint, against the 50 MB target. @param {Results['memory']} mem */
function memorySection(mem) {
  if (!mem) return [];
  const base = mem.baseline;
  const lastPoint = mem.checkpoints.at(-1);
  const growth = lastPoint ? lastPoint.rss - base.rss : Number.NaN;
  const first = mem.checkpoints[0];
  const bounded = lastPoint && first ? lastPoint.rss - first.rss : Number.NaN;
  const heapGrowth = lastPoint && first ? lastPoint.heapUsed - first.heapUsed : Number.NaN;
  return [
    '## Bounded memory',
    '',
    mem.method === 'verify'
      ? "Method (the issue allows it, to make a million affordable): one process (`node --expose-gc`, not pinned) holds a latchkey bearer verifier with default options (`createBearerVerifier({ issuer, audience, jwksUri })`: JWKS fetched once over loopback, cache of 10,000 verified tokens) and calls `verifier.verify(token, { scopes })` with a distinct ES256 access token each time, 64 at a time. A worker thread mints the tokens in batches of 10,000 (node:crypto, standard compact JWS with `typ: at+jwt`) while the previous batch is verified; no batch is held when memory is measured. At each point: `gc()` twice, then `process.memoryUsage()`. The HTTP path (`--memory-method=http`: Fastify + `requireBearer()`, the server's bench-only control endpoint runs `gc()`) gave the same picture at 1,000,000 requests in a trial run, but takes about six minutes here."
      : `\`${mem.scenario}\` (latchkey \`requireBearer()\` with the default verifier: cache of 10,000 verified tokens) receives requests that each carry a distinct ES256 access token, over HTTP at 50 connections (server and client not pinned). Tokens are minted in batches of 20,000 by a worker thread of the load process (node:crypto, standard compact JWS, one verified with jose first) while the previous batch is sent. At each point the server's bench-only control endpoint runs \`gc()\` twice (\`--expose-gc\`) and reports \`process.memoryUsage()\`.`,
    '',
    table(
      ['Point', 'RSS after GC', 'heap used after GC'],
      [
        [
          `baseline (after ${base.requests.toLocaleString('en-US')} distinct tokens)`,
          mb(base.rss),
          mb(base.heapUsed),
        ],
        ...mem.checkpoints.map((point) => [
          `${point.requests.toLocaleString('en-US')} distinct tokens`,
          mb(point.rss),
          mb(point.heapUsed),
        ]),
      ],
    ),
    '',
    `RSS growth from ${first?.requests.toLocaleString('en-US')} to ${lastPoint?.requests.toLocaleString('en-US')} distinct tokens: **${mb(bounded)}** (heap ${mb(heapGrowth)}); target (within 50 MB, read as: no growth with the number of distinct tokens once past the cache's size): **${bounded <= 50 * 1024 * 1024 ? 'held' : 'not held'}**. From the baseline (cache not yet full, allocator not yet grown) to ${lastPoint?.requests.toLocaleString('en-US')}: ${mb(growth)}, ${growth <= 50 * 1024 * 1024 ? 'also within 50 MB' : 'over 50 MB, mostly memory the allocator keeps after the first bursts of concurrent WebCrypto jobs (the heap after GC stays flat)'}. Peak RSS: ${mb(mem.maxRss)}. Failed verifications: ${mem.failures}. Took ${fixed(mem.seconds, 0)} s.`,
    '',
  ];
}

/** The micro-benchmark groups that show how a cost grows, each as a table of its own. */
const GROWTH = new Map([
  [
    'cookie',
    'Session cookie size: `authenticate()` of one request, warm (the unsealed session cached) and cold (a new instance unseals it). The smallest is the session the dev IdP gives; the others carry a padding claim, split into cookies of at most 3,800 characters as latchkey writes them.',
  ],
  ['seal', 'Session size: sealing and unsealing alone, through the keyring latchkey seals with.'],
  [
    'rbac',
    "Policy size: `can()` for a user holding 10, 100 and 1,000 permissions (one role each), for the last one held and for one not held, and `permissionsFor()`, which builds a session's permissions from its roles.",
  ],
  [
    'jwks',
    "JWKS size: an ES256 access token whose key is the last of the issuer's 1, 10 and 100 keys; cold (a new verifier fetches and reads the set over loopback) and uncached (keys loaded, every token new).",
  ],
]);

/**
 * How costs grow: the growth groups of the micro-benchmarks, and the caches as distinct sessions
 * and tokens pass through them.
 * @param {Results['micro']} micro @param {Results['memory']} memory
 */
function growthSection(micro, memory) {
  const groups = [...GROWTH].flatMap(([group, text]) => {
    const rows = (micro?.results ?? []).filter((r) => r.group === group);
    if (!rows.length) return [];
    return [
      text,
      '',
      table(
        ['Benchmark', 'p50', 'p99'],
        rows.map((r) => [r.name, duration(r.p50), duration(r.p99)]),
      ),
      '',
    ];
  });
  const caches = cacheRows(memory);
  if (!groups.length && !caches.length) return [];
  return ['## How cost grows', '', ...groups, ...caches];
}

/** The caches' rows: µs per request and memory as distinct sessions and tokens pass through. */
function cacheRows(memory) {
  const sessions = memory?.sessions?.points ?? [];
  const tokens = memory?.hot ? [memory.hot, ...memory.checkpoints] : [];
  if (!sessions.length && !tokens.length) return [];
  const count = (n) => n.toLocaleString('en-US');
  return [
    "Caches: distinct sessions and tokens through one instance's caches (each holds 10,000 by default). The first row of each reads 1,000 over and over (cache hits); the others read ever new ones, each once, up to that many in all (misses: the session is unsealed, the token's signature checked), one session at a time and 64 tokens at a time. Memory after `gc()` in a process of its own (`node --expose-gc`), after that many.",
    '',
    table(
      ['Cache', 'distinct', 'µs per request', 'RSS after GC', 'heap used after GC'],
      [
        ...sessions.map((point, index) => [
          'unsealed sessions',
          index === 0
            ? `${count(point.sessions)}, read ${count(point.reads / point.sessions)} times each`
            : count(point.sessions),
          fixed(point.usPerRead, 1),
          mb(point.rss),
          mb(point.heapUsed),
        ]),
        ...tokens.map((point, index) => [
          'verified tokens',
          index === 0 ? `${count(point.requests)}, verified 10 times each` : count(point.requests),
          fixed(point.usPerVerify ?? Number.NaN, 1),
          mb(point.rss),
          mb(point.heapUsed),
        ]),
      ],
    ),
    '',
  ];
}

/**
 * The callback and a refresh, latchkey against express-openid-connect: CPU of the relying party
 * alone. @param {Results['cold']} cold
 */
function coldSection(cold) {
  if (!cold) return [];
  const cell = (range, unit, digits) =>
    `${fixed(range.median, digits)} ${unit} (${fixed(range.min, digits)}–${fixed(range.max, digits)})`;
  return [
    '## Cold paths: the callback and a refresh',
    '',
    `latchkey and express-openid-connect as Express apps in one process pinned to core 0, with a dev IdP of their own in another process (its access tokens live 30 s, so every refresh goes to it). ${cold.count} sign-ins each, then one refresh right after each (\`/refresh\`: latchkey's \`getAccessToken()\`, express-openid-connect's \`accessToken.refresh()\`). CPU is this process's, from the request's arrival to its response's end, one request at a time: the code exchange or token request over loopback, the ID token's checks, the session sealed into its cookie; the IdP's work and the network's wait are not in it. Medians, (min–max).`,
    '',
    table(
      [
        'Step',
        'latchkey CPU',
        'express-openid-connect CPU',
        'latchkey ÷ peer',
        'latchkey wall',
        'peer wall',
      ],
      ['callback', 'refresh'].map((step) => [
        step === 'callback'
          ? 'callback (code exchange, new session)'
          : 'refresh (token request, session re-sealed)',
        cell(cold.latchkey[step].cpuUs, 'µs', 0),
        cell(cold.eoc[step].cpuUs, 'µs', 0),
        `${fixed(cold.latchkey[step].cpuUs.median / cold.eoc[step].cpuUs.median, 2)}×`,
        `${fixed(cold.latchkey[step].wallMs.median, 1)} ms`,
        `${fixed(cold.eoc[step].wallMs.median, 1)} ms`,
      ]),
    ),
    '',
  ];
}

/** The mitata rows, after the seal and unseal costs derived from them. @param {Results['micro']} micro */
function microSection(micro) {
  if (!micro) return [];
  return [
    '## Micro-benchmarks (mitata, in-process, `taskset -c 0`)',
    '',
    'Times per call; for the 64-concurrent rows, per batch of 64 and per token. Session rows go through the public `createLatchkey().authenticate()` with a real sealed cookie (signed in through the dev IdP); the first rows reuse one instance (whatever it caches, it may); "cold" rows build a new instance per call, so nothing is cached; "re-seal" uses a clock 301 s ahead, so the call also seals a new cookie (what a rolling session pays once per touch interval). Uncached bearer rows cycle through 2,000 distinct tokens with a verifier whose cache holds 1,000, so every call misses; "cold" builds a new verifier each time and so includes fetching the JWKS over loopback. The rows that show how a cost grows (session size, policy size, JWKS size) are in the section above.',
    '',
    ...derivedSessionCosts(micro.results),
    table(
      ['Benchmark', 'avg', 'p50', 'p99', 'per token'],
      micro.results
        .filter((r) => !GROWTH.has(r.group))
        .map((r) => [
          r.name,
          duration(r.avg),
          duration(r.p50),
          duration(r.p99),
          r.per > 1 ? duration(r.avg / r.per) : '',
        ]),
    ),
    '',
  ];
}

/** Minified and gzipped bundle sizes. @param {Results['size']} size */
function sizeSection(size) {
  if (!size) return [];
  return [
    '## Bundle size',
    '',
    'esbuild bundle of the whole public API (`export * from ...`), minified, ESM for browsers, `react` and `react-dom` external, `NODE_ENV=production`; gzip level 9.',
    '',
    table(
      ['Package', 'min', 'min+gzip'],
      size.map((s) => [
        `${s.name} ${s.version}`,
        `${fixed(s.minified / 1024, 1)} KiB`,
        `**${fixed(s.gzip / 1024, 1)} KiB**`,
      ]),
    ),
    '',
  ];
}

/** @param {number} value */
function signed(value) {
  return `${value >= 0 ? '+' : '−'}${fixed(Math.abs(value), 1)}`;
}

/**
 * What the diagnostic rows measured for a target's scenario, as a parenthesis.
 * @param {string} id @param {Summary} summary
 */
function diagnosticsOf(id, summary) {
  const parts = (DIAGNOSTICS[id] ?? []).flatMap(({ id: diagnostic, what }) => {
    const s = summary.get(diagnostic);
    return s?.addedUs
      ? [`${what}: ${signed(s.addedUs.median)} µs, ${fixed(s.ratio.median, 2)}×`]
      : [];
  });
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/**
 * What stands between latchkey's own work and the ratios, from this report's numbers: the cost of
 * that work in-process (micro), the spread of two rows that run identical latchkey code, and the
 * Express costs that any middleware setting a request property pays.
 * @param {Summary} summary @param {NonNullable<Results['micro']>['results']} micro
 */
function whatLimits(summary, micro, profiles) {
  const lines = ['What limits the rows above, from this run:', ''];
  const fastify = kernelShare(
    profiles['fastify-latchkey-cookie'],
    profiles['fastify-noop-session'],
  );
  const bare = summary.get('fastify-bare');
  if (fastify) {
    lines.push(
      `- Fastify's session row: in the profiles, latchkey's own functions take ${fixed(fastify.latchkeyUs, 1)} µs per request, but sending each response (\`writev\` and what Node does right after it) takes ${fixed(fastify.sendUs, 1)} µs against ${fixed(fastify.floorSendUs, 1)} µs on its floor row. The load generator runs at ${fixed(100 * (bare?.clientCpu ?? Number.NaN))}% of its core against bare Fastify: while it is the bottleneck, the server's writes find it busy; once the server is, every response must wake it up, which on this virtual machine costs the server more than latchkey's work does. Any middleware of a few µs tips Fastify's rows over that edge here.`,
    );
  }
  const p50 = (prefix, part = '') =>
    micro.find((r) => r.name.startsWith(prefix) && r.name.includes(part))?.p50;
  const session = p50('authenticate(): cookie session read', 'sessions in rotation');
  const bearer = p50('verify() warm (cached token), serial, ES256');
  if (session !== undefined && bearer !== undefined) {
    lines.push(
      `- latchkey's own work per request is small: reading a cached cookie session takes ${duration(session)} and a cached bearer token ${duration(bearer)} in-process (micro-benchmarks below), against the budgets above.`,
    );
  }
  const es = summary.get('fastify-latchkey-bearer-es256')?.ratio;
  const rs = summary.get('fastify-latchkey-bearer-rs256')?.ratio;
  if (es && rs) {
    lines.push(
      `- Noise: the two Fastify bearer rows run the same latchkey code on a cached token (the algorithm only matters on a miss) and came out at ${fixed(es.median, 2)}× and ${fixed(rs.median, 2)}×; single runs of one row spread over ${fixed(Math.min(es.min, rs.min), 2)}–${fixed(Math.max(es.max, rs.max), 2)}×. On this shared machine a difference of 0.1× between medians is within noise.`,
    );
  }
  const cookie = summary.get('express-bare-with-cookie')?.ratio;
  // The size of the dev IdP's session, as the cookie rows of the micro-benchmarks report it.
  const size = /warm, (\S+ KB) session cookie/.exec(
    micro.find((r) => r.group === 'cookie')?.name ?? '',
  )?.[1];
  if (cookie) {
    lines.push(
      `- The session cookie itself: the bare Express route, sent the same ${size ? `${size} ` : ''}cookie and ignoring it, ran at ${fixed(cookie.median, 2)}× of itself without it.`,
    );
  }
  const floorsOf = (framework) =>
    Object.entries(DIAGNOSTICS)
      .filter(([id]) => id.startsWith(`${framework}-`))
      .flatMap(([id, rows]) =>
        rows.flatMap(({ id: floor, floor: isFloor }) => {
          const measured = summary.get(id)?.ratio;
          const bound = summary.get(floor)?.ratio;
          const ofFloor = summary.get(id)?.ratioTo(floor);
          if (!isFloor || !measured || !bound || !ofFloor) return [];
          return [
            `${fixed(bound.median, 2)}× for the shape of \`${id}\` (latchkey ${fixed(measured.median, 2)}×; paired round by round, ${fixed(100 * ofFloor.median, 0)}% of that floor)`,
          ];
        }),
      );
  const floors = floorsOf('express');
  const fastifyFloors = floorsOf('fastify');
  if (fastifyFloors.length) {
    lines.push(
      `- Fastify's floors: a no-op hook and guard of latchkey's shapes, sent the same credentials, ran at ${fastifyFloors.join(' and ')} of the bare route.`,
    );
  }
  lines.push(
    `- Express itself: it re-prototypes every request (\`Object.setPrototypeOf(req, app.request)\`), so every property added to a request (\`req.auth\`, \`req.bearer\`) makes V8 build a new hidden class, and every guard is one more router layer.${floors.length ? ` Middleware and guards of latchkey's shapes that do nothing but set that property, sent the same credentials, ran at ${floors.join(' and ')} of the bare route: no Express library of that shape can do better.` : ''} latchkey's middleware and guards add no promise when the session or token is cached, and keep their own per-request state off \`req\` (a WeakMap).`,
  );
  return lines;
}

/**
 * From two profiles (a latchkey row and its floor), µs per request in latchkey's packages and in
 * sending responses: `writev` and the `nextTick` it is followed by (samples taken as the syscall
 * returns land there).
 */
function kernelShare(profile, floor) {
  if (!profile || !floor) return undefined;
  const perRequest = (p, test) =>
    (p.self.filter(([name]) => test(name)).reduce((sum, [, ms]) => sum + ms, 0) * 1000) /
    p.requests;
  const sending = (name) => /^(writev|nextTick) /.test(name);
  return {
    latchkeyUs:
      (profile.byPackage
        .filter(([name]) => name.startsWith('@latchkey/'))
        .reduce((sum, [, ms]) => sum + ms, 0) *
        1000) /
      profile.requests,
    sendUs: perRequest(profile, sending),
    floorSendUs: perRequest(floor, sending),
  };
}

/** Unseal and seal costs derived from the cold session rows (p50 differences). */
function derivedSessionCosts(rows) {
  const find = (prefix) => rows.find((r) => r.name.startsWith(prefix));
  const create = find('createLatchkey() alone');
  const cold = find('cold: new instance');
  const reseal = find('cold + re-seal');
  if (!create || !cold || !reseal) return [];
  return [
    `Derived from the p50s: unsealing a session cookie costs about **${duration(cold.p50 - create.p50)}** (cold read minus \`createLatchkey()\`), sealing one about **${duration(reseal.p50 - cold.p50)}** (re-seal minus cold read).`,
    '',
  ];
}

/** Inclusive entries of the functions that make up latchkey's own cost. */
function hotFunctions(profile, count) {
  return profile.inclusive
    .filter(
      ([name]) =>
        /@latchkey\/(core|redis)|· jose|undici|node:internal\/crypto|ioredis/.test(name) &&
        !name.startsWith('(anonymous) · @latchkey/core:1'),
    )
    .slice(0, count);
}

/** The profile's heaviest latchkey-side costs for a scenario, as a short phrase. */
function limitOf(id, profiles) {
  const profile = profiles[id];
  if (!profile) return '; run with the profile part for the hot spots';
  const bare = profiles[scenarioById(id)?.baseline ?? ''];
  const perRequest = (ms) => `${fixed((ms * 1000) / profile.requests, 0)} µs`;
  const functions = hotFunctions(profile, 4)
    .map(([name, ms]) => `\`${name.split(' · ')[0]}\` ${perRequest(ms)}`)
    .join(', ');
  const threads = bare
    ? `; profiled CPU per request: main thread ${fixed(profile.mainUs, 0)} µs (bare ${fixed(bare.mainUs, 0)}), other threads ${fixed(profile.processUs - profile.mainUs, 0)} µs (bare ${fixed(bare.processUs - bare.mainUs, 0)})`
    : '';
  return `${threads}; heaviest: ${functions} (inclusive, see the profiles)`;
}
