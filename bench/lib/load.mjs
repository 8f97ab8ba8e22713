// The load generator: one autocannon run in its own process (the orchestrator starts it with
// `taskset -c 1`), configured by BENCH_LOAD (JSON), printing one JSON line of results.
// Latencies are recorded from autocannon's `response` events in microseconds (its own histogram
// rounds to whole milliseconds), for 2xx responses only.
import autocannon from 'autocannon';

/**
 * @typedef {object} LoadConfig
 * @property {string} url
 * @property {number} connections
 * @property {number} duration seconds
 * @property {Record<string, string>} [headers] sent with every request
 * @property {Array<Record<string, string>>} [rotate] extra headers per request, cycled in order by
 *   every connection (autocannon prebuilds them: no per-request cost on the client)
 */

/** @type {LoadConfig} */
const config = JSON.parse(process.env.BENCH_LOAD ?? '{}');
const rotate = config.rotate?.length ? config.rotate : [{}];
const requests = rotate.map((headers) => ({
  method: 'GET',
  headers: { ...config.headers, ...headers },
}));

let latencies = new Float64Array(1 << 16);
let count = 0;

const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
const tracker = autocannon({
  url: config.url,
  connections: config.connections,
  duration: config.duration,
  pipelining: 1,
  requests,
});
tracker.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode < 200 || statusCode > 299) return;
  if (count === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[count++] = responseTime;
});
const result = await tracker;
const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
const cpu = process.cpuUsage(cpuBefore);

const sorted = latencies.subarray(0, count).sort();
/** @param {number} q */
const quantile = (q) => (count ? sorted[Math.min(count - 1, Math.floor(q * count))] : Number.NaN);
const seconds = result.duration || wallMs / 1000;
process.stdout.write(
  `${JSON.stringify({
    total: result.requests.total,
    seconds,
    rps: result.requests.total / seconds,
    p50: quantile(0.5),
    p99: quantile(0.99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    clientCpu: (cpu.user + cpu.system) / 1000 / wallMs,
    // Start-up included, to tell this process's CPU from other processes' on its core.
    clientProcessCpuUs: process.cpuUsage().user + process.cpuUsage().system,
  })}\n`,
);
