import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from '../bench/service-process.js';
import { eventually } from './group-posting.js';
import { API_KEY } from './test-app.js';

export interface SpawnedService {
  base: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/**
 * A built entry point (dist/src/main.js, the API, or dist/src/worker.js, `npm run worker`; `npm test` builds
 * them) as its own process on a free port, once /health/ready answers.
 */
export async function spawnService(entry: 'dist/src/main.js' | 'dist/src/worker.js', databaseUrl: string, env: Record<string, string> = {}): Promise<SpawnedService> {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build (npm test does)`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      API_KEYS: `shop:${API_KEY}`,
      LOG_LEVEL: 'warn',
      LOG_REQUESTS: 'false',
      HOLD_SWEEP_INTERVAL_MS: '0',
      DB_POOL_SIZE: '10',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    await eventually(`${entry} is ready`, async () => {
      if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}: ${stderr}`);
      return fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
    }, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { base, child, exited, stderr: () => stderr };
}

/** A JSON POST with the test key, as a client sends it. */
export async function postJson(base: string, path: string, body: object, key?: string): Promise<{ status: number; body: any }> {
  const reply = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) },
    body: JSON.stringify(body),
  });
  return { status: reply.status, body: await reply.json() };
}
