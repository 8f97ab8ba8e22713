// The report renderer against a results fixture: a full run's shape with two rounds of round
// numbers, so that every ratio, µs figure and verdict below can be checked by hand.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../lib/report.mjs';

/** @returns {import('../lib/report.mjs').Results} a fresh copy of the fixture */
const fixture = () =>
  JSON.parse(readFileSync(new URL('./fixtures/results.json', import.meta.url), 'utf8'));

/**
 * The trimmed cells of every table row whose first cell starts with `first`.
 * @param {string} markdown @param {string} first @returns {string[][]}
 */
const rows = (markdown, first) =>
  markdown
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    )
    .filter((cells) => cells[0].startsWith(first));

/** The first table row whose first cell is `first`, or else starts with it. */
function row(markdown, first) {
  const found = rows(markdown, first);
  const exact = found.find((cells) => cells[0] === first) ?? found[0];
  if (!exact) throw new Error(`no table row starts with ${first}`);
  return exact;
}

/** That row's other cells, unpadded, as `a | b | c`. */
const cells = (markdown, first) => row(markdown, first).slice(1).join(' | ');

/** The headings, in order. */
const headings = (markdown) => markdown.split('\n').filter((line) => line.startsWith('#'));

describe('renderReport', () => {
  const report = renderReport(fixture());

  it('renders the sections of a full run in order', () => {
    expect(headings(report)).toEqual([
      '# latchkey benchmark results',
      '## Throughput',
      '## Targets',
      "## Where latchkey's time goes (CPU profiles under load)",
      '### `express-latchkey-cookie`',
      '## Revocation across instances',
      '## Bounded memory',
      '## Cold paths: the callback and a refresh',
      '## How cost grows',
      '## Micro-benchmarks (mitata, in-process, `taskset -c 0`)',
      '## Bundle size',
      '## Notes',
    ]);
    expect(report).toContain('Written by `pnpm bench` on 2026-11-23T23:31:25.182Z.');
    expect(report.endsWith('.\n')).toBe(true);
  });

  it('describes the machine and the settings', () => {
    expect(cells(report, 'RAM')).toBe('23.5 GiB');
    expect(cells(report, 'Load average (1/5/15 min) before → after')).toBe(
      '1.43 / 1.28 / 1.28 → 2.92 / 2.40 / 1.87',
    );
    expect(cells(report, 'Duration of this run')).toBe('14.3 min');
    expect(report).toContain(
      'Settings: 50 connections, 3 s warm-up per scenario, then 2 measured runs of 5 s per scenario,',
    );
    expect(report).toContain(
      'Versions: express 5.3.0, fastify 5.12.8, express-openid-connect 3.4.0, jose 6.2.18.',
    );
  });

  it('pairs each row with the bare route of the same round', () => {
    // Rounds: bare 10,000 and 12,500 req/s, latchkey's cookie 8,600 and 10,000: × 0.86 and 0.80,
    // µs added 1e6/8,600 − 100 = 16.3 and 100 − 80 = 20.0.
    expect(cells(report, 'Express: latchkey `requireAuth()`, stateless cookie session')).toBe(
      '9,300 (8,600–10,000) | 5.40 | 16.22 | 18.1 (16.3–20.0) | 0.83 (0.80–0.86) | 98% / 55% / 2% | 100.0 MB | 0',
    );
    expect(cells(report, 'Express 5: bare route')).toBe(
      '11,250 (10,000–12,500) | 4.50 | 13.50 | — | 1 | 98% / 55% / 2% | 80.0 MB | 0',
    );
  });

  it('marks failed requests, shared servers and a disturbed or saturated run', () => {
    expect(row(report, 'Express: express-openid-connect').at(-1)).toBe('**3 failed**');
    expect(row(report, 'Express 5: bare route, requests carrying').at(-2)).toBe('(bare server)');
    expect(report).toContain(
      'Load generator near saturation (client CPU > 90%) for: fastify-bare.',
    );
    expect(report).toContain('Server below 90% of its core for: express-eoc-cookie (');
    expect(report).toContain("The token issuer's JWKS was fetched 4 times in all");
  });

  it('orders the rows as the scenario table does, whatever the order of the results', () => {
    const results = fixture();
    results.throughput = Object.fromEntries(Object.entries(results.throughput).reverse());
    expect(renderReport(results)).toBe(report);
    const labels = report
      .split('\n')
      .filter((line) => /^\| (Express|Fastify)/.test(line))
      .map((line) => line.split('|')[1].trim());
    expect(labels.slice(0, 8)).toEqual([
      'Express 5: bare route',
      'Express: latchkey `requireAuth()`, stateless cookie session',
      'Express: express-openid-connect `requiresAuth()`, cookie session',
      'Fastify 5: bare route',
      'Fastify: latchkey `requireBearer()`, ES256',
      'Fastify: latchkey `requireBearer()`, RS256',
      'Express 5: bare route, requests carrying a latchkey session cookie (ignored)',
      "Express 5: floor of `requireAuth()`'s shape (no-op middleware setting `req.auth`, no-op route guard), session cookie sent",
    ]);
  });

  it('judges each target against bare or its floor row, with its budget, the diagnostic rows and the profile', () => {
    const cookie = row(report, 'Express session route ≥ 0.95× its floor row');
    // Paired by round: 8,600 / 9,200 = 0.935 and 10,000 / 11,500 = 0.870, median 0.90.
    expect(cookie.slice(1, 4)).toEqual([
      '`express-latchkey-cookie`',
      '0.90 (0.87–0.93)',
      '**not held**',
    ]);
    // Floor: 1e6 / 10,350 = 96.6 µs; 0.95× leaves 96.6 × (1/0.95 − 1) = 5.1 µs; added: the median
    // of 116.3 − 108.7 and 100.0 − 87.0.
    expect(cookie[4]).toBe(
      'its floor row `express-noop-session` costs 96.6 µs/request, so 0.95× leaves 5.1 µs for auth; measured +10.3 µs ' +
        '(the bare route with the same request headers, credential ignored: +4.7 µs, 0.95×; ' +
        "Express's floor for this shape, no-op middleware and guard: +7.8 µs, 0.92×); " +
        'profiled CPU per request: main thread 110 µs (bare 86), other threads 20 µs (bare 4); ' +
        'heaviest: `authenticate` 20 µs, `compactDecrypt` 10 µs (inclusive, see the profiles)',
    );
    const [es256, rs256] = rows(report, 'Fastify bearer route ≥ 0.90× bare Fastify');
    expect(es256.slice(1, 4)).toEqual([
      '`fastify-latchkey-bearer-es256`',
      '0.77 (0.72–0.82)',
      '**not held**',
    ]);
    expect(es256[4]).toBe(
      'bare costs 32.3 µs/request, so 0.9× leaves 3.6 µs for auth; measured +9.7 µs; run with the profile part for the hot spots',
    );
    expect(rs256.slice(2, 4)).toEqual(['0.70 (0.70–0.70)', '**not held**']);
    expect(cells(report, 'Express bearer route ≥ 0.95× its floor row')).toBe(
      '`express-latchkey-bearer-es256` | not measured | — | —',
    );
    const held = fixture();
    // 29,000 / 30,000 = 0.97 and 27,000 / 32,000 = 0.84: a median of 0.905.
    const [first, second] = held.throughput['fastify-latchkey-bearer-es256'].runs;
    first.rps = 29000;
    second.rps = 27000;
    expect(row(renderReport(held), 'Fastify bearer route')[3]).toBe(
      '**held** (median; not in every run)',
    );
  });

  it("compares each latchkey row's p99 with its bare route's, round by round", () => {
    // 17.44 / 15 = 1.16 and 15 / 12 = 1.25; 6.1 / 5 = 1.22 and 6.51 / 4.69 = 1.39.
    expect(cells(report, '`express-latchkey-cookie` p99')).toBe(
      '16.22 | 13.50 | 1.21 (1.16–1.25) | **held**',
    );
    expect(cells(report, '`fastify-latchkey-bearer-es256` p99')).toBe(
      '6.31 | 4.85 | 1.30 (1.22–1.39) | **not held**',
    );
    expect(report).not.toContain('`express-eoc-cookie` p99');
  });

  it('times a sign-out on one instance until another refuses the session', () => {
    expect(cells(report, '4')).toBe(
      '0 | 7.5 ms | 40.0 ms | 4.0 ms | 35.0 ms | **held** (p50 ≤ 50 ms, max ≤ 250 ms)',
    );
    const slow = fixture();
    slow.revocation.samples[3].refused = 300;
    expect(renderReport(slow)).toContain('| **not held** (p50 ≤ 50 ms, max ≤ 250 ms) |');
  });

  it('says what limits the rows, from the same run', () => {
    expect(report).toContain(
      'reading a cached cookie session takes 1.04 µs and a cached bearer token 672 ns in-process',
    );
    expect(report).toContain(
      'came out at 0.77× and 0.70×; single runs of one row spread over 0.70–0.82×.',
    );
    expect(report).toContain(
      'sent the same 1.7 KB cookie and ignoring it, ran at 0.95× of itself without it.',
    );
    expect(report).toContain(
      'ran at 0.92× for the shape of `express-latchkey-cookie` (latchkey 0.83×; paired round by round, 90% of that floor) of the bare route',
    );
    expect(cells(report, 'express-openid-connect')).toBe(
      '`express-eoc-cookie` | 0.30 (0.30–0.30) | 210.0 | 0.28 | 258',
    );
    expect(cells(report, 'express-oauth2-jwt-bearer')).toMatch(
      /^`express-oauth2-jwt-bearer-es256` \| n\/a \| n\/a \|/,
    );
  });

  it("lists each profiled server's CPU per request and latchkey's hot functions", () => {
    expect(cells(report, '`express-latchkey-cookie`')).toBe('9,000 | 130.0 | 110.0 | 20.0 | 8.0');
    expect(report).toContain(
      'Main-thread self time by package: node (internals) 40.0%, @latchkey/core 20.0%, express 15.0%, jose 10.0%.',
    );
    // Inclusive: latchkey core and jose only; not the router, not core's module wrapper.
    expect(cells(report, '`authenticate · @latchkey/core:627`')).toBe('18.2% | 20.0');
    expect(cells(report, '`compactDecrypt · jose:12`')).toBe('9.1% | 10.0');
    expect(report).not.toContain('`handle · router:150`');
    expect(report).not.toContain('`(anonymous) · @latchkey/core:1`');
  });

  it('checks bounded memory from the first checkpoint to the last', () => {
    expect(cells(report, '1,000,000 distinct tokens')).toBe('210.0 MB | 33.0 MB');
    expect(report).toContain(
      'RSS growth from 100,000 to 1,000,000 distinct tokens: **10.0 MB** (heap 1.0 MB); target (within 50 MB,',
    );
    expect(report).toContain("once past the cache's size): **held**.");
    expect(report).toContain('to 1,000,000: 120.0 MB, over 50 MB,');

    const results = fixture();
    results.memory = {
      ...results.memory,
      method: 'http',
      scenario: 'fastify-latchkey-bearer-es256',
      maxRss: 262144000,
    };
    results.memory.checkpoints[1].rss = 272629760;
    const http = renderReport(results);
    expect(http).toContain('`fastify-latchkey-bearer-es256` (latchkey `requireBearer()`');
    expect(http).toContain('**60.0 MB**');
    expect(http).toContain("once past the cache's size): **not held**.");
    expect(http).toContain('Peak RSS: 250.0 MB.');
  });

  it('derives unseal and seal costs from the micro-benchmarks', () => {
    expect(report).toContain(
      'unsealing a session cookie costs about **195.0 µs** (cold read minus `createLatchkey()`), sealing one about **180.0 µs**',
    );
    expect(cells(report, 'verify() warm, 64 concurrent, ES256')).toBe(
      '48.0 µs | 42.7 µs | 60.7 µs | 750 ns',
    );
  });

  it('sets the callback and a refresh against express-openid-connect, CPU of the relying party only', () => {
    expect(cells(report, 'callback (code exchange, new session)')).toBe(
      '1,200 µs (1,000–3,000) | 2,400 µs (2,000–5,000) | 0.50× | 6.5 ms | 9.0 ms',
    );
    expect(cells(report, 'refresh (token request, session re-sealed)')).toBe(
      '900 µs (800–2,000) | 1,800 µs (1,500–3,000) | 0.50× | 5.3 ms | 8.0 ms',
    );
  });

  it('shows how cost grows: by size in tables of their own, and through the caches with memory', () => {
    const growth = report.slice(report.indexOf('## How cost grows'), report.indexOf('## Micro'));
    expect(cells(growth, 'authenticate() warm, 1.7 KB session cookie')).toBe('2.00 µs | 4.00 µs');
    expect(cells(growth, 'verify() cold: new verifier, JWKS of 100 keys fetched, ES256')).toBe(
      '1.80 ms | 2.50 ms',
    );
    const micro = report.slice(report.indexOf('## Micro'));
    expect(micro).not.toContain('session cookie |');
    expect(rows(growth, 'unsealed sessions').map((cells) => cells.slice(1).join(' | '))).toEqual([
      '1,000, read 10 times each | 1.5 | 100.0 MB | 20.0 MB',
      '100,000 | 60.3 | 200.0 MB | 80.0 MB',
      '1,000,000 | 61.5 | 205.0 MB | 81.0 MB',
    ]);
    expect(rows(growth, 'verified tokens').map((cells) => cells.slice(1).join(' | '))).toEqual([
      '1,000, verified 10 times each | 0.8 | 86.0 MB | 9.0 MB',
      '100,000 | 95.5 | 200.0 MB | 32.0 MB',
      '1,000,000 | 97.3 | 210.0 MB | 33.0 MB',
    ]);
  });

  it('lists bundle sizes and notes', () => {
    expect(cells(report, '@latchkey/react 0.0.0')).toBe('8.0 KiB | **3.6 KiB**');
    expect(report).toContain('\n## Notes\n\n- Shared machine: 1 measured runs were repeated');
  });

  it('pads every table to equal widths', () => {
    const blocks = report.split('\n\n').filter((block) => block.startsWith('|'));
    expect(blocks.length).toBe(16);
    for (const block of blocks) {
      const widths = new Set(block.split('\n').map((line) => [...line].length));
      expect(widths.size, block.split('\n')[0]).toBe(1);
    }
  });

  it('marks a quick run and leaves out the parts that did not run', () => {
    const { machine, settings, versions, throughput, jwksFetches, elapsed } = fixture();
    const quick = renderReport({
      machine,
      settings,
      versions,
      throughput,
      jwksFetches,
      elapsed,
      quick: true,
      profiles: {},
      notes: [],
    });
    expect(headings(quick)).toEqual([
      '# latchkey benchmark results (quick smoke run: not representative)',
      '## Throughput',
      '## Targets',
    ]);
    expect(quick).toContain('Written by `node run.mjs --quick`');
    expect(quick).not.toContain("latchkey's own work per request");
    expect(row(quick, 'Express session route')[4]).toMatch(
      /; run with the profile part for the hot spots$/,
    );
  });

  it('is pure: the same results render the same report and are left as they were', () => {
    const results = fixture();
    expect(renderReport(results)).toBe(renderReport(results));
    expect(results).toEqual(fixture());
  });
});
