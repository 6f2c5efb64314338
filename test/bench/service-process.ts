import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { processCpuMs } from './cpu.js';

const READY_TIMEOUT_MS = 90_000;
const READY_POLL_INTERVAL_MS = 25;
const READY_PROBE_TIMEOUT_MS = 2_000;
/** The service gives itself 10 s to drain; past this we stop waiting and kill it. */
const STOP_GRACE_MS = 15_000;
const KILL_WAIT_MS = 5_000;
const LOG_TAIL_CHARS = 16_000;
const LOG_LINES_KEPT = 50;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise` at most `ms`; the timer is cleared either way. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([promise.then((value) => ({ done: true as const, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port the kernel just handed out on 127.0.0.1 (free at the time of asking). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process from /proc/<pid>/status (Linux), in bytes; null where unavailable. */
export function readRssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** User + system CPU time a process has used, from /proc/<pid>/stat, in ms; null where unavailable. */
export function readCpuMs(pid: number): number | null {
  return processCpuMs(pid);
}

/** Samples one process's RSS on an interval and keeps the peak (its CPU is measured by cpu.ts's samples). */
export class ProcessSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakBytes: number | null = null;
  private result: { peakRssBytes: number | null } | undefined;

  constructor(private readonly pid: number, private readonly intervalMs = 100) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /** Stops sampling (once): peak RSS in bytes, null where /proc is unreadable. */
  stop(): { peakRssBytes: number | null } {
    if (this.result) return this.result;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    this.result = { peakRssBytes: this.peakBytes };
    return this.result;
  }

  private sample(): void {
    const rss = readRssBytes(this.pid);
    if (rss !== null && (this.peakBytes === null || rss > this.peakBytes)) this.peakBytes = rss;
  }
}

export interface ServiceProcess {
  pid: number;
  baseUrl: string;
  /** From spawn to the first 200 on the ready path (GET /health/ready for the service). */
  coldStartMs: number;
  /** Log lines the process wrote (the service runs with LOG_LEVEL=warn, so warnings and errors), the first few kept. */
  logLines(): { count: number; kept: string[] };
  exited(): boolean;
  /** SIGTERM, wait for the drain (bounded), then SIGKILL. Resolves once the process is gone. */
  stop(): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stopMs: number }>;
  /** Immediate SIGKILL; synchronous, for exit handlers. */
  killNow(): void;
}

export interface StartServiceOptions {
  root: string;
  port: number;
  databaseUrl: string;
  apiKeyName: string;
  apiKeySecret: string;
  /** Extra node flags for the service, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeArgs?: string[];
}

/** Boots the production build (`node dist/src/main.js`) as a child process and waits until it is ready. */
export function startService(options: StartServiceOptions): Promise<ServiceProcess> {
  return startNodeProcess({
    root: options.root,
    entry: join('dist', 'src', 'main.js'),
    name: 'the service',
    port: options.port,
    readyPath: '/health/ready',
    nodeArgs: options.nodeArgs,
    env: {
      DATABASE_URL: options.databaseUrl,
      API_KEYS: `${options.apiKeyName}:${options.apiKeySecret}`,
      // BENCH_ACCESS_LOG=true measures the service as operators run it by default: one JSON line per request.
      LOG_LEVEL: process.env.BENCH_ACCESS_LOG === 'true' ? 'info' : 'warn',
      LOG_REQUESTS: process.env.BENCH_ACCESS_LOG === 'true' ? 'true' : 'false',
      // The bench drives 2,000–3,000 requests/s from its one key, over the default 1,000 per key per second. A
      // limit it never reaches keeps the limiter on the request path, counting and sending its headers, so the
      // figures are what a default install pays for it.
      RATE_LIMIT_REQUESTS: '1000000',
    },
  });
}

export interface StartNodeProcessOptions {
  root: string;
  /** The script to run, relative to root (e.g. dist/test/bench/bare-nest.js). */
  entry: string;
  /** For error messages: "the service". */
  name: string;
  port: number;
  /** GET path polled on 127.0.0.1:port until it answers 200. */
  readyPath: string;
  nodeArgs?: string[];
  /** On top of the bench's own environment, PORT and NODE_ENV=production. */
  env?: Record<string, string>;
}

/** Runs `node <entry>` from the build as a child process listening on `port` and waits until it is ready. */
export async function startNodeProcess(options: StartNodeProcessOptions): Promise<ServiceProcess> {
  const entry = join(options.root, options.entry);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const { name, readyPath } = options;

  const startedAt = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), entry], {
    cwd: options.root,
    env: { ...process.env, ...options.env, PORT: String(options.port), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${name}`);
  const pid = child.pid;

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve();
    });
  });

  let tail = '';
  let lineCount = 0;
  const kept: string[] = [];
  let partial = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-LOG_TAIL_CHARS);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    if (partial.length > LOG_TAIL_CHARS) partial = partial.slice(-LOG_TAIL_CHARS);
    for (const line of lines) {
      if (line.trim() === '') continue;
      lineCount += 1;
      if (kept.length < LOG_LINES_KEPT) kept.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const killNow = () => {
    if (exitInfo === null) child.kill('SIGKILL');
  };

  // Wait for readiness: bounded by READY_TIMEOUT_MS, and by the child exiting.
  const deadline = startedAt + READY_TIMEOUT_MS;
  let coldStartMs: number | null = null;
  let lastProblem = 'no answer yet';
  while (performance.now() < deadline) {
    if (exitInfo !== null) {
      const { code, signal } = exitInfo as { code: number | null; signal: NodeJS.Signals | null };
      throw new Error(`${name} exited before it was ready (code ${code}, signal ${signal}):\n${tail}`);
    }
    try {
      const response = await fetch(`${baseUrl}${readyPath}`, { signal: AbortSignal.timeout(READY_PROBE_TIMEOUT_MS) });
      await response.arrayBuffer();
      if (response.status === 200) {
        coldStartMs = performance.now() - startedAt;
        break;
      }
      lastProblem = `GET ${readyPath} answered ${response.status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error);
    }
    await sleep(READY_POLL_INTERVAL_MS);
  }
  if (coldStartMs === null) {
    killNow();
    throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS} ms (${lastProblem}):\n${tail}`);
  }

  return {
    pid,
    baseUrl,
    coldStartMs,
    logLines: () => ({ count: lineCount, kept: [...kept] }),
    exited: () => exitInfo !== null,
    killNow,
    async stop() {
      const stopStartedAt = performance.now();
      if (exitInfo === null) {
        child.kill('SIGTERM');
        if (!(await within(exitPromise, STOP_GRACE_MS)).done) {
          child.kill('SIGKILL');
          await within(exitPromise, KILL_WAIT_MS);
        }
      }
      const info = (exitInfo ?? { code: null, signal: null }) as { code: number | null; signal: NodeJS.Signals | null };
      return { exitCode: info.code, signal: info.signal, stopMs: performance.now() - stopStartedAt };
    },
  };
}
