import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { SqlScenarioName } from './scenarios.js';
import { within } from './service-process.js';

/** Per pgbench run, on top of its own duration: schema reset, VACUUM ANALYZE, connection set-up. */
const PER_RUN_OVERHEAD_MS = 30_000;
const FIXED_OVERHEAD_MS = 60_000;
const KILL_WAIT_MS = 5_000;

export const PG_TOOLS_HINT =
  'psql and pgbench are needed for the raw-SQL limit. On Debian/Ubuntu (as root):\n' +
  '  apt-get update && apt-get install -y postgresql-client-15 postgresql-15\n' +
  '  (pgbench is in /usr/lib/postgresql/15/bin; sql-limit.sh adds that folder to PATH itself)';

export interface SqlLimitRow {
  scenario: string;
  clients: number;
  tps: number;
  avgMs: number | null;
  /**
   * PostgreSQL's CPU from the previous result line (or the header) to this one ÷ (tps × seconds), in µs; set by
   * run-bench.ts, null where PostgreSQL's CPU is not measurable, absent where nobody measured.
   */
  databaseUsPerTransaction?: number | null;
}

export interface SqlLimitOutcome {
  rows: SqlLimitRow[];
  exitCode: number | null;
  /** Output lines that are not result rows (errors), the last few. */
  otherOutput: string;
  timedOut: boolean;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `tool` is: PATH first, then the newest /usr/lib/postgresql/<v>/bin (where sql-limit.sh also looks). */
export function findTool(tool: string, env: NodeJS.ProcessEnv): string | null {
  const dirs = (env.PATH ?? '').split(delimiter).filter((dir) => dir.length > 0);
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((version) => join('/usr/lib/postgresql', version, 'bin')));
  }
  for (const dir of dirs) {
    const candidate = join(dir, tool);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

const ROW = /^(\S+)\s+(\d+)\s+(\d+(?:\.\d+)?)\s+(\S+)\s*$/;

export function parseSqlLimitLine(line: string): SqlLimitRow | null {
  const match = ROW.exec(line.trim());
  if (!match || match[1] === 'scenario') return null;
  const avgMs = Number(match[4]);
  return { scenario: match[1]!, clients: Number(match[2]), tps: Number(match[3]), avgMs: Number.isFinite(avgMs) ? avgMs : null };
}

export interface SqlLimitOptions {
  script: string;
  url: string;
  seconds: number;
  clients: number[];
  scenarios: SqlScenarioName[];
  signal: AbortSignal;
  onLine: (line: string) => void;
}

/** Runs `bash sql-limit.sh URL SECONDS "CLIENTS" "SCENARIOS"` in its own process group, bounded in time. */
export async function runSqlLimit(options: SqlLimitOptions): Promise<SqlLimitOutcome> {
  const child = spawn('bash', [options.script, options.url, String(options.seconds), options.clients.join(' '), options.scenarios.join(' ')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so pgbench and psql go down with it
  });
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);

  const rows: SqlLimitRow[] = [];
  const other: string[] = [];
  let partial = '';
  const onData = (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const row = parseSqlLimitLine(line);
      if (row) rows.push(row);
      else if (!/^scenario\s+clients/.test(line)) other.push(line);
      if (other.length > 40) other.shift();
      options.onLine(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => resolve(code));
    child.once('error', (error) => {
      other.push(String(error));
      resolve(null);
    });
  });
  const onAbort = () => killGroup('SIGTERM');
  options.signal.addEventListener('abort', onAbort, { once: true });

  const budgetMs = FIXED_OVERHEAD_MS + options.scenarios.length * options.clients.length * (options.seconds * 1000 + PER_RUN_OVERHEAD_MS);
  let timedOut = false;
  let outcome = await within(exited, budgetMs);
  if (!outcome.done) {
    timedOut = true;
    killGroup('SIGTERM');
    outcome = await within(exited, KILL_WAIT_MS);
    if (!outcome.done) {
      killGroup('SIGKILL');
      outcome = await within(exited, KILL_WAIT_MS);
    }
  }
  options.signal.removeEventListener('abort', onAbort);
  process.removeListener('exit', onExit);
  if (partial.trim() !== '') other.push(partial);
  return { rows, exitCode: outcome.done ? outcome.value : null, otherOutput: other.join('\n'), timedOut };
}
