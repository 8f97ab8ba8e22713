// Cache growth of cookie sessions (`node --expose-gc`): one latchkey instance (default options:
// 10,000 unsealed sessions cached) reads valid sealed session cookies through `authenticate()`:
// 1,000 distinct sessions read over and over (they fit the cache), then ever new ones, each read
// once, up to each checkpoint. A worker thread seals the next batch meanwhile (from a session
// signed in through the dev IdP, with a new session id each). At each point: µs per read (the
// reads alone, one at a time), then `gc()` twice and `process.memoryUsage()`. Configured by
// BENCH_SESSIONS (JSON); prints one JSON line.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Keyring } from '@latchkey/core';

/**
 * @typedef {object} SessionsConfig
 * @property {import('@latchkey/core').LatchkeyOptions} options the relying party (its callback
 *   registered at the dev IdP)
 * @property {number} hot distinct sessions read over and over
 * @property {number} passes reads of each of them
 * @property {number[]} checkpoints distinct sessions read at which to measure
 * @property {number} batch sessions per sealed batch
 */

if (!isMainThread) {
  const { secret, template, expiresAt, cookieName } = workerData;
  const keyring = new Keyring([secret]);
  parentPort.on('message', async ({ start, count }) => {
    const cookies = new Array(count);
    for (let i = 0; i < count; i++) {
      const sessionId = `bench-${String(start + i).padStart(37, '0')}`;
      cookies[i] =
        `${cookieName}=${await keyring.seal('session', { ...template, sessionId }, expiresAt)}`;
    }
    parentPort.postMessage(cookies);
  });
} else {
  const { createLatchkey } = await import('@latchkey/core');
  const { signInLocally } = await import('./local-sign-in.mjs');
  /** @type {SessionsConfig} */
  const config = JSON.parse(process.env.BENCH_SESSIONS ?? '{}');
  const [signedIn] = await signInLocally(config.options, 1);
  const [cookieName, sealed] = signedIn.split('; ')[0].split('=');
  const opened = await new Keyring(config.options.secrets).unseal(
    'session',
    sealed,
    Math.floor(Date.now() / 1000),
  );
  const worker = new Worker(new URL(import.meta.url), {
    workerData: {
      secret: config.options.secrets[0],
      template: opened.value,
      expiresAt: opened.expiresAt,
      cookieName,
    },
  });
  /** @returns {Promise<string[]>} */
  const sealBatch = (start, count) =>
    new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage({ start, count });
    });

  const auth = createLatchkey(config.options);
  const url = `${config.options.baseUrl}/api/hello`;
  const sink = () => {};
  let failures = 0;
  /** Reads each cookie once; resolves the ms spent in `authenticate()`. @param {string[]} cookies */
  async function readAll(cookies) {
    let spent = 0;
    for (const cookie of cookies) {
      const request = {
        method: 'GET',
        url,
        headers: { get: (name) => (name === 'cookie' ? cookie : null) },
        text: async () => '',
      };
      const started = performance.now();
      const context = await auth.authenticate(request, sink);
      spent += performance.now() - started;
      if (!context.session) failures += 1;
    }
    return spent;
  }
  const measure = (sessions, reads, ms) => {
    globalThis.gc();
    globalThis.gc();
    const memory = process.memoryUsage();
    return {
      sessions,
      reads,
      usPerRead: (ms * 1000) / reads,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
    };
  };

  const started = Date.now();
  const points = [];
  const hot = await sealBatch(0, config.hot);
  await readAll(hot);
  let spent = 0;
  for (let pass = 0; pass < config.passes; pass++) spent += await readAll(hot);
  points.push(measure(config.hot, config.hot * config.passes, spent));

  let at = config.hot;
  for (const checkpoint of config.checkpoints) {
    spent = 0;
    const from = at;
    let pending = sealBatch(at, Math.min(config.batch, checkpoint - at));
    while (at < checkpoint) {
      const cookies = await pending;
      at += cookies.length;
      pending =
        at < checkpoint ? sealBatch(at, Math.min(config.batch, checkpoint - at)) : undefined;
      spent += await readAll(cookies);
    }
    process.stderr.write(`  sessions: ${at.toLocaleString('en-US')} distinct sessions read\n`);
    points.push(measure(at, at - from, spent));
  }
  await worker.terminate();
  process.stdout.write(
    `${JSON.stringify({ points, failures, seconds: (Date.now() - started) / 1000 })}\n`,
  );
}
