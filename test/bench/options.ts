/** Command-line and environment options of `npm run bench`. */

/** In the order they run: writes before the history reads they fill; then the floors (no I/O). */
export const SCENARIO_NAMES = [
  'transfer_uniform',
  'hot_wallet',
  'deposits',
  'balance_read',
  'history_page',
  'health_live',
  'bare_route',
  'bare_route_fastify',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const DEFAULT_SECONDS = 10;
export const DEFAULT_CONNECTIONS = [1, 8, 32, 64];
const MAX_SECONDS = 3_600;
const MAX_CONNECTIONS = 1_024;

export interface BenchOptions {
  /** Length of every load run (and of every pgbench run), in seconds. */
  seconds: number;
  connections: number[];
  scenarios: ScenarioName[];
  /** Write docs/benchmarks.md. */
  write: boolean;
  /** Run ../shared/bench/sql-limit.sh after the service runs. */
  sqlLimit: boolean;
  /** VACUUM (ANALYZE) the service's tables after seeding and before each scenario. */
  vacuum: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [options]        (or: node dist/test/bench/run-bench.js [options])

  --seconds N            seconds per load run and per pgbench run (default ${DEFAULT_SECONDS}; env BENCH_SECONDS)
  --connections "1 8"    connection counts, space or comma separated (default "${DEFAULT_CONNECTIONS.join(' ')}")
  --scenarios "a b"      any of: ${SCENARIO_NAMES.join(' ')} (default: all)
                         (bare_route loads a bare NestJS app, dist/test/bench/bare-nest.js: the framework's floor;
                         bare_route_fastify the same app on @nestjs/platform-fastify, for comparison)
  --no-sql               skip the raw-SQL limit (../shared/bench/sql-limit.sh)
  --no-vacuum            skip VACUUM (ANALYZE) of the service's tables after seeding and before each scenario
                         (sql-limit.sh does the same for its tables before every pgbench run)
  --write                also write docs/benchmarks.md
  --help                 this text

PostgreSQL: DATABASE_URL if set (use a scratch database: the service migrates it and the run leaves its wallets and
transactions there), else a throwaway embedded server. Needs a build first: npm run build.
The service inherits DB_POOL_SIZE and the other DB_* settings from the environment; BENCH_NODE_ARGS adds node
flags to it (e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it under load); BENCH_ACCESS_LOG=true
runs it with the per-request access log on (LOG_LEVEL=info, LOG_REQUESTS=true), as it runs by default.
Every run also splits the machine's CPU per request: the service process, PostgreSQL (postmaster and backends, from
/proc; "n/a" for a server on another host), this load generator, and the rest; the same for PostgreSQL per pgbench
transaction.`;

function parseList(flag: string, raw: string): string[] {
  const items = raw.split(/[\s,]+/).filter((item) => item.length > 0);
  if (items.length === 0) throw new Error(`${flag} needs at least one value`);
  return items;
}

function parseIntegerIn(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const options: BenchOptions = {
    seconds: env.BENCH_SECONDS ? parseIntegerIn('BENCH_SECONDS', env.BENCH_SECONDS, 1, MAX_SECONDS) : DEFAULT_SECONDS,
    connections: [...DEFAULT_CONNECTIONS],
    scenarios: [...SCENARIO_NAMES],
    write: false,
    sqlLimit: true,
    vacuum: true,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      i += 1;
      return next;
    };
    switch (flag) {
      case '--seconds':
        options.seconds = parseIntegerIn(flag, value(), 1, MAX_SECONDS);
        break;
      case '--connections': {
        const counts = parseList(flag, value()).map((item) => parseIntegerIn(flag, item, 1, MAX_CONNECTIONS));
        options.connections = [...new Set(counts)];
        break;
      }
      case '--scenarios': {
        const names = parseList(flag, value());
        for (const name of names) {
          if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
            throw new Error(`unknown scenario ${JSON.stringify(name)}; known: ${SCENARIO_NAMES.join(', ')}`);
          }
        }
        // Keep the canonical order: reads of history run after the writes that fill it.
        options.scenarios = SCENARIO_NAMES.filter((name) => names.includes(name));
        break;
      }
      case '--write':
        options.write = true;
        break;
      case '--no-sql':
        options.sqlLimit = false;
        break;
      case '--no-vacuum':
        options.vacuum = false;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(arg)}\n\n${USAGE}`);
    }
  }
  return options;
}

/** How this run was started, to print and to record in docs/benchmarks.md. */
export function describeCommand(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const quoted = argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`));
  const prefix: string[] = [];
  if (env.BENCH_SECONDS) prefix.push(`BENCH_SECONDS=${env.BENCH_SECONDS}`);
  if (env.DATABASE_URL) prefix.push('DATABASE_URL=…');
  if (env.BENCH_NODE_ARGS) prefix.push(`BENCH_NODE_ARGS='${env.BENCH_NODE_ARGS}'`);
  for (const name of ['DB_POOL_SIZE', 'DB_LOCK_TIMEOUT_MS', 'DB_CONNECTION_TIMEOUT_MS', 'DB_STATEMENT_TIMEOUT_MS']) {
    if (env[name]) prefix.push(`${name}=${env[name]}`);
  }
  const viaNpm = env.npm_lifecycle_event === 'bench';
  const base = viaNpm ? (quoted.length > 0 ? ['npm', 'run', 'bench', '--'] : ['npm', 'run', 'bench']) : ['node', 'dist/test/bench/run-bench.js'];
  return [...prefix, ...base, ...quoted].join(' ');
}
