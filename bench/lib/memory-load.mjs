// The bounded-memory check's client (started with `taskset -c 1`): sends requests that each carry
// a distinct access token, calls the server's control `/gc` at each checkpoint and prints one
// JSON line. A worker thread mints the next batch of tokens while the current one is sent.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { AUDIENCE, fastMinter } from './tokens.mjs';

/**
 * @typedef {object} MemoryConfig
 * @property {string} url
 * @property {string} controlUrl
 * @property {string} issuer
 * @property {import('./tokens.mjs').SigningKey} key
 * @property {number[]} checkpoints cumulative distinct-token requests at which to measure
 * @property {number} warmup distinct tokens sent before the baseline
 * @property {number} connections
 * @property {number} batch tokens per batch
 */

if (!isMainThread) {
  // Minting worker: answers { start, count } with that many tokens.
  const { issuer, key } = workerData;
  const mint = fastMinter(issuer, key);
  parentPort.on('message', ({ start, count }) => {
    const tokens = new Array(count);
    for (let i = 0; i < count; i++) tokens[i] = mint(start + i);
    parentPort.postMessage(tokens);
  });
} else {
  /** @type {MemoryConfig} */
  const config = JSON.parse(process.env.BENCH_MEMORY ?? '{}');
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { issuer: config.issuer, key: config.key },
  });
  /** @param {number} start @param {number} count @returns {Promise<string[]>} */
  const mintBatch = (start, count) =>
    new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage({ start, count });
    });

  // The fast minter's tokens must verify with jose like the SignJWT ones.
  const [sample] = await mintBatch(0, 1);
  await jwtVerify(sample, createLocalJWKSet({ keys: [config.key.publicJwk] }), {
    issuer: config.issuer,
    audience: AUDIENCE,
    typ: 'at+jwt',
  });

  /** Sends every token once; resolves the number of non-2xx answers. @param {string[]} tokens */
  async function send(tokens) {
    let next = 0;
    const result = await autocannon({
      url: config.url,
      connections: config.connections,
      amount: tokens.length,
      requests: [
        {
          setupRequest(request) {
            request.headers = {
              accept: 'application/json',
              authorization: `Bearer ${tokens[next++ % tokens.length]}`,
            };
            return request;
          },
        },
      ],
    });
    return result.non2xx + result.errors + result.timeouts;
  }

  const gc = async () => (await fetch(`${config.controlUrl}/gc`)).json();
  // Batches from the warm-up to the last checkpoint, cut at every checkpoint.
  const stops = [...new Set(config.checkpoints)].sort((a, b) => a - b);
  /** @type {Array<[number, number]>} [start, count] */
  const batches = [];
  for (let at = config.warmup, stop = 0; stop < stops.length; stop++) {
    while (at < stops[stop]) {
      const count = Math.min(config.batch, stops[stop] - at);
      batches.push([at, count]);
      at += count;
    }
  }
  const started = Date.now();
  let failures = await send(await mintBatch(0, config.warmup));
  const baseline = await gc();
  const checkpoints = [];
  let pending = batches.length ? mintBatch(...batches[0]) : undefined;
  for (let index = 0; index < batches.length; index++) {
    const tokens = await pending;
    if (index + 1 < batches.length) pending = mintBatch(...batches[index + 1]);
    failures += await send(tokens);
    const sent = batches[index][0] + batches[index][1];
    process.stderr.write(`\r  memory check: ${sent.toLocaleString('en-US')} distinct tokens sent`);
    if (stops.includes(sent)) checkpoints.push({ requests: sent, ...(await gc()) });
  }
  process.stderr.write('\n');
  await worker.terminate();
  process.stdout.write(
    `${JSON.stringify({ baseline: { requests: config.warmup, ...baseline }, checkpoints, failures, seconds: (Date.now() - started) / 1000 })}\n`,
  );
}
