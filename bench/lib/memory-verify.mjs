// The in-process half of the bounded-memory check (`node --expose-gc`): one latchkey bearer
// verifier (default options: JWKS fetched from the token issuer over loopback, cache of 10,000)
// verifies distinct access tokens, 64 at a time, while a worker thread mints the next batch.
// At each checkpoint: `gc()` twice, then `process.memoryUsage()`, and the µs per verification
// since the last one; also 1,000 tokens verified over and over (cache hits). Configured by BENCH_MEMORY
// (JSON); prints one JSON line.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { AUDIENCE, fastMinter, REQUIRED_SCOPE } from './tokens.mjs';

/**
 * @typedef {object} MemoryConfig
 * @property {string} issuer
 * @property {string} jwksUri
 * @property {import('./tokens.mjs').SigningKey} key
 * @property {number[]} checkpoints cumulative distinct tokens verified at which to measure
 * @property {number} warmup distinct tokens verified before the baseline
 * @property {number} batch tokens per minted batch
 */

if (!isMainThread) {
  const mint = fastMinter(workerData.issuer, workerData.key);
  parentPort.on('message', ({ start, count }) => {
    const tokens = new Array(count);
    for (let i = 0; i < count; i++) tokens[i] = mint(start + i);
    parentPort.postMessage(tokens);
  });
} else {
  const { createBearerVerifier } = await import('@latchkey/core');
  /** @type {MemoryConfig} */
  const config = JSON.parse(process.env.BENCH_MEMORY ?? '{}');
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { issuer: config.issuer, key: config.key },
  });
  /** @returns {Promise<string[]>} */
  const mintBatch = (start, count) =>
    new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage({ start, count });
    });
  const verifier = createBearerVerifier({
    issuer: config.issuer,
    audience: AUDIENCE,
    jwksUri: config.jwksUri,
  });
  const requirement = { scopes: [REQUIRED_SCOPE] };
  let failures = 0;
  /** Verifies `tokens`, 64 at a time; resolves the ms it took. @param {string[]} tokens */
  async function verifyAll(tokens) {
    const started = performance.now();
    for (let i = 0; i < tokens.length; i += 64) {
      const results = await Promise.allSettled(
        tokens.slice(i, i + 64).map((token) => verifier.verify(token, requirement)),
      );
      for (const result of results) if (result.status === 'rejected') failures += 1;
    }
    return performance.now() - started;
  }
  /** Memory after GC; with `verified` tokens in `ms`, the µs per verification too. */
  const measure = (requests, verified = 0, ms = 0) => {
    globalThis.gc();
    globalThis.gc();
    const memory = process.memoryUsage();
    return {
      requests,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      ...(verified ? { usPerVerify: (ms * 1000) / verified } : {}),
    };
  };

  const stops = [...new Set(config.checkpoints)].sort((a, b) => a - b);
  /** @type {Array<[number, number]>} */
  const batches = [];
  for (let at = config.warmup, stop = 0; stop < stops.length; stop++) {
    while (at < stops[stop]) {
      const count = Math.min(config.batch, stops[stop] - at);
      batches.push([at, count]);
      at += count;
    }
  }
  const started = Date.now();
  const warm = await mintBatch(0, config.warmup);
  await verifyAll(warm);
  // The first 1,000 of them over and over: every verification a hit of the cache.
  const hotTokens = warm.slice(0, 1000);
  let hotMs = 0;
  for (let pass = 0; pass < 10; pass++) hotMs += await verifyAll(hotTokens);
  const hot = measure(hotTokens.length, 10 * hotTokens.length, hotMs);
  const baseline = measure(config.warmup);
  const checkpoints = [];
  let segmentMs = 0;
  let segmentFrom = config.warmup;
  // The next batch is minted while this one is verified, except across a checkpoint: nothing
  // but the verifier holds tokens when memory is measured.
  let pending = batches.length ? mintBatch(...batches[0]) : undefined;
  for (let index = 0; index < batches.length; index++) {
    let tokens = await pending;
    const done = batches[index][0] + batches[index][1];
    const atStop = stops.includes(done);
    pending = index + 1 < batches.length && !atStop ? mintBatch(...batches[index + 1]) : undefined;
    segmentMs += await verifyAll(tokens);
    tokens = undefined;
    if (index % 10 === 9 || atStop)
      process.stderr.write(
        `  in-process: ${done.toLocaleString('en-US')} distinct tokens verified\n`,
      );
    if (atStop) {
      checkpoints.push(measure(done, done - segmentFrom, segmentMs));
      segmentMs = 0;
      segmentFrom = done;
      if (index + 1 < batches.length) pending = mintBatch(...batches[index + 1]);
    }
  }
  await worker.terminate();
  process.stdout.write(
    `${JSON.stringify({
      baseline,
      hot,
      checkpoints,
      failures,
      maxRss: process.resourceUsage().maxRSS * 1024,
      seconds: (Date.now() - started) / 1000,
    })}\n`,
  );
}
