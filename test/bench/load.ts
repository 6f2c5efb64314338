import autocannon from 'autocannon';
import { type CpuSample, type CpuSplit, cpuSplit, type PostgresCpu, takeCpuSample } from './cpu.js';
import { ProcessSampler } from './service-process.js';
import { newIdempotencyKey, type Scenario, type ScenarioContext } from './scenarios.js';

/** Seconds before autocannon counts a request as a timeout (the service's own waits are ≤ 5 s). */
const REQUEST_TIMEOUT_S = 10;
/** Past the planned duration, how long we wait for autocannon before stopping it, then giving up. */
const OVERRUN_STOP_MS = 30_000;
const OVERRUN_GIVE_UP_MS = 15_000;
/** Latencies kept per run; beyond this the percentiles come from the first samples only. */
const MAX_LATENCY_SAMPLES = 20_000_000;
const MAX_PROBLEM_KINDS = 20;

export interface LoadRunResult {
  scenario: string;
  connections: number;
  durationS: number;
  /** All responses received, any status. */
  responses: number;
  ok: number;
  /** 2xx responses per second: what the table reports as req/s. */
  okPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  non2xx: number;
  /** Connection errors other than timeouts. */
  errors: number;
  timeouts: number;
  peakRssBytes: number | null;
  /** CPU the service process used during the run, in % of one core (Node serves on one thread: ~100 % = saturated). */
  serviceCpuPercent: number | null;
  /** CPU time over the run: the process under load, PostgreSQL, this load generator, the machine's busy time. */
  cpu: CpuSplit;
  /** "503 SERVICE_UNAVAILABLE" → count, for the non-2xx answers. */
  problems: Record<string, number>;
}

export interface LoadRunOptions {
  baseUrl: string;
  authorization: string;
  scenario: Scenario;
  context: ScenarioContext;
  connections: number;
  seconds: number;
  /** The process under load (the service, or the bare app for bare_route). */
  servicePid: number;
  /** PostgreSQL's CPU meter; null where it cannot be measured exactly (its columns then read n/a). */
  postgres: PostgresCpu | null;
  signal: AbortSignal;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

function problemKey(status: number, body: string): string {
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    if (typeof code === 'string') return `${status} ${code}`;
  } catch {
    // not JSON
  }
  return String(status);
}

/** One autocannon run against the service; latencies recorded per response with sub-millisecond precision. */
export function runLoad(options: LoadRunOptions): Promise<LoadRunResult> {
  const { scenario, context } = options;
  let latencies = new Float64Array(1 << 16);
  let latencyCount = 0;
  const problems: Record<string, number> = {};
  const sampler = new ProcessSampler(options.servicePid);

  return new Promise<LoadRunResult>((resolve, reject) => {
    let settled = false;
    let overrunTimer: NodeJS.Timeout | undefined;
    let giveUpTimer: NodeJS.Timeout | undefined;
    const finish = (error: Error | null, result?: LoadRunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(overrunTimer);
      clearTimeout(giveUpTimer);
      options.signal.removeEventListener('abort', onAbort);
      sampler.stop();
      if (error) reject(error);
      else resolve(result!);
    };

    sampler.start();
    const cpuAtStart: CpuSample = takeCpuSample(options.servicePid, options.postgres);
    const instance = autocannon(
      {
        url: options.baseUrl,
        connections: options.connections,
        duration: options.seconds,
        timeout: REQUEST_TIMEOUT_S,
        headers: { authorization: options.authorization },
        requests: [
          {
            setupRequest: (request) => {
              const next = scenario.nextRequest(context);
              const headers: Record<string, string> = { ...request.headers };
              if (next.method === 'POST') {
                headers['content-type'] = 'application/json';
                headers['idempotency-key'] = newIdempotencyKey();
              }
              return { ...request, method: next.method, path: next.path, body: next.body ?? '', headers };
            },
            onResponse: (status, body) => {
              if (status >= 200 && status < 300) return;
              const key = problemKey(status, body);
              if (key in problems) problems[key]! += 1;
              else if (Object.keys(problems).length < MAX_PROBLEM_KINDS) problems[key] = 1;
              else problems.other = (problems.other ?? 0) + 1;
            },
          },
        ],
      },
      (error, result) => {
        if (error) return finish(error);
        const cpu = cpuSplit(cpuAtStart, takeCpuSample(options.servicePid, options.postgres));
        const { peakRssBytes } = sampler.stop();
        const sorted = latencies.subarray(0, latencyCount).sort();
        const ok = result['2xx'];
        const durationS = result.duration > 0 ? result.duration : options.seconds;
        finish(null, {
          scenario: scenario.name,
          connections: options.connections,
          durationS,
          responses: result.requests.total,
          ok,
          okPerSecond: ok / durationS,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : null,
          non2xx: result.non2xx,
          errors: result.errors - result.timeouts,
          timeouts: result.timeouts,
          peakRssBytes,
          serviceCpuPercent: cpu.serviceMs !== null && cpu.wallMs > 0 ? (cpu.serviceMs / cpu.wallMs) * 100 : null,
          cpu,
          problems,
        });
      },
    );

    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
      if (latencyCount === latencies.length) {
        if (latencies.length >= MAX_LATENCY_SAMPLES) return;
        const grown = new Float64Array(Math.min(latencies.length * 2, MAX_LATENCY_SAMPLES));
        grown.set(latencies);
        latencies = grown;
      }
      latencies[latencyCount++] = responseTimeMs;
    });

    function onAbort() {
      instance.stop();
      giveUpTimer = setTimeout(() => finish(new Error('load run aborted')), OVERRUN_GIVE_UP_MS);
    }
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });

    overrunTimer = setTimeout(() => {
      instance.stop();
      giveUpTimer = setTimeout(
        () => finish(new Error(`autocannon did not finish within ${options.seconds}s + ${(OVERRUN_STOP_MS + OVERRUN_GIVE_UP_MS) / 1000}s`)),
        OVERRUN_GIVE_UP_MS,
      );
    }, options.seconds * 1000 + OVERRUN_STOP_MS);
  });
}
