/**
 * `npm run bench`: the wallet service under HTTP load, beside the raw-SQL limit of the same PostgreSQL.
 *
 *   1. PostgreSQL: DATABASE_URL, else a throwaway embedded server (temp dir, free port).
 *   2. The service from its production build, `node dist/src/main.js`, as a child process; cold start to ready.
 *   3. Seeding through the API: 1,000 funded EUR wallets and one merchant wallet.
 *   4. autocannon runs, one scenario × connection count at a time, peak RSS of the child sampled throughout, and the
 *      CPU split per request (cpu.ts): the process under load, PostgreSQL, this load generator, the rest of the machine.
 *      bare_route loads a bare NestJS app (bare-nest.ts, its own child process), the framework's floor;
 *      bare_route_fastify the same app on @nestjs/platform-fastify, the floor of that adapter.
 *   5. The service is stopped, then ../shared/bench/sql-limit.sh (pgbench) runs on the same server; PostgreSQL's CPU
 *      is read at each result line it prints, for its CPU per transaction.
 *   6. The tables, with service ÷ SQL and service ÷ bare ratios; with --write also docs/benchmarks.md.
 *
 * It asserts nothing and is not part of `npm test`. Every wait is bounded; the child is killed on any exit.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, type as osType, release as osRelease } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locatePostgres, microsecondsEach, type PostgresCpu } from './cpu.js';
import { acquireDatabase, type BenchDatabase, queryScalars, vacuumAnalyzeServiceTables } from './database.js';
import { type LoadRunResult, runLoad } from './load.js';
import { type BenchOptions, describeCommand, parseOptions, USAGE } from './options.js';
import {
  cpuLegend,
  cpuPerRequest,
  cpuTable,
  formatMb,
  formatMs,
  formatPercent,
  formatUs,
  markdownReport,
  problemsSummary,
  ratioLegend,
  renderText,
  resultTable,
  SQL_CPU_LEGEND,
  sqlTable,
} from './report.js';
import { SCENARIOS, sqlScenariosFor } from './scenarios.js';
import { seedWallets } from './seed.js';
import { freePort, readRssBytes, type ServiceProcess, sleep, startNodeProcess, startService } from './service-process.js';
import { findTool, parseSqlLimitLine, PG_TOOLS_HINT, runSqlLimit, type SqlLimitRow } from './sql-limit.js';

const WALLET_COUNT = 1_000;
const CURRENCY = 'EUR';
/** 10 billion EUR per wallet: no run can drain one at ≤ 1 EUR per request. */
const FUND_MINOR = 1_000_000_000_000;
const SEED_CONCURRENCY = 8;
/** Idle time between load runs, so one run's tail does not bleed into the next. */
const SETTLE_MS = 1_000;
/** V8 grows the old generation lazily when memory is plentiful; capped, RSS stays near 140 MB at no measured cost. */
const KEPT_SECTION_MARKER = '<!-- written by hand below: kept when --write rewrites the tables above -->';
const PRODUCTION_NODE_ARGS = '--max-old-space-size=192';
const API_KEY_NAME = 'bench';
/** The framework's floor (scenarios bare_route and bare_route_fastify), from the build. */
const BARE_ENTRY = join('dist', 'test', 'bench', 'bare-nest.js');

const log = (line = '') => process.stdout.write(`${line}\n`);

/** The folder with package.json, from dist/test/bench/ (or test/bench/ when run from source). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

interface Resources {
  database?: BenchDatabase;
  service?: ServiceProcess;
  /** The bare NestJS app, while bare_route or bare_route_fastify runs. */
  bare?: ServiceProcess;
  abort: AbortController;
  /** Set by the first cleanUp; later callers wait for the same one. */
  cleanup?: Promise<void>;
}

async function main(options: BenchOptions, resources: Resources): Promise<void> {
  const root = projectRoot();
  const command = describeCommand(process.argv.slice(2), process.env);
  const signal = resources.abort.signal;
  const planned = options.scenarios.length * options.connections.length;
  log(`wallet-service benchmark: ${options.scenarios.join(', ')} × ${options.connections.join('/')} connections × ${options.seconds} s` +
    ` (${planned} runs, ~${Math.ceil((planned * (options.seconds + 1)) / 60)} min of service load${options.sqlLimit ? ', then as much pgbench' : ''})`);

  const loadAtStart = loadavg()[0]!;
  if (loadAtStart > cpus().length * 0.5) {
    log(`warning: 1-minute load average is ${loadAtStart.toFixed(2)} on ${cpus().length} cores before the benchmark: other work will skew the figures`);
  }

  // Fail before the long part, not after it.
  if (options.scenarios.some((name) => SCENARIOS[name].target === 'bare') && !existsSync(join(root, BARE_ENTRY))) {
    throw new Error(`${join(root, BARE_ENTRY)} is missing (scenarios bare_route, bare_route_fastify): run \`npm run build\` first`);
  }

  // 1. PostgreSQL
  const database = await acquireDatabase(process.env, log);
  resources.database = database;
  const [serverVersion, fsync, synchronousCommit, sharedBuffers, maxConnections] = await queryScalars(database.url, [
    'SHOW server_version',
    'SHOW fsync',
    'SHOW synchronous_commit',
    'SHOW shared_buffers',
    'SHOW max_connections',
  ]);
  const postgres = `${serverVersion} — ${database.source}; fsync=${fsync}, synchronous_commit=${synchronousCommit}, shared_buffers=${sharedBuffers}, max_connections=${maxConnections}`;
  log(`PostgreSQL ${postgres}`);
  // PostgreSQL's CPU: exact (postmaster + children from /proc) or not at all.
  let postgresCpu: PostgresCpu | null = null;
  let postgresCpuWhy: string;
  try {
    const located = await locatePostgres(database.url);
    postgresCpu = located.cpu;
    postgresCpuWhy = located.reason;
  } catch (error) {
    postgresCpuWhy = `could not look up its backend: ${error instanceof Error ? error.message : String(error)}`;
  }
  log(postgresCpu ? `PostgreSQL CPU from /proc: ${postgresCpuWhy} and its children` : `PostgreSQL CPU: n/a (${postgresCpuWhy})`);

  // 2. The service
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  const authorization = `Bearer ${secret}`;
  // The production image's heap cap (docker/Dockerfile NODE_OPTIONS), unless BENCH_NODE_ARGS says otherwise.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? PRODUCTION_NODE_ARGS).split(/\s+/).filter((arg) => arg.length > 0);
  log(`starting node ${nodeArgs.length > 0 ? `${nodeArgs.join(' ')} ` : ''}dist/src/main.js on 127.0.0.1:${port} (NODE_ENV=production, LOG_LEVEL=warn, LOG_REQUESTS=false) …`);
  const service = await startService({ root, port, databaseUrl: database.url, apiKeyName: API_KEY_NAME, apiKeySecret: secret, nodeArgs });
  resources.service = service;
  const idleRssBytes = readRssBytes(service.pid);
  log(`ready after ${service.coldStartMs.toFixed(0)} ms (cold start, spawn → GET /health/ready 200); RSS ${formatMb(idleRssBytes)} MB`);

  // 3. Seed (only if a chosen scenario uses the wallets)
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  let seeded: { walletIds: string[]; merchantId: string; seedMs: number } | null = null;
  if (options.scenarios.some((name) => SCENARIOS[name].usesWallets)) {
    log(`seeding ${WALLET_COUNT} ${CURRENCY} wallets (+ deposit of ${FUND_MINOR} each) and one merchant wallet through the API …`);
    seeded = await seedWallets({
      baseUrl: service.baseUrl,
      authorization,
      walletCount: WALLET_COUNT,
      fundMinor: FUND_MINOR,
      currency: CURRENCY,
      concurrency: SEED_CONCURRENCY,
      runId,
      signal,
    });
    log(`seeded in ${(seeded.seedMs / 1000).toFixed(1)} s (${((WALLET_COUNT * 2 + 1) / (seeded.seedMs / 1000)).toFixed(0)} req/s at ${SEED_CONCURRENCY} in flight)`);
  } else {
    log('no chosen scenario uses wallets: not seeding');
  }
  const context = { walletIds: seeded?.walletIds ?? [], merchantId: seeded?.merchantId ?? '' };

  // 4. Load
  const runs: LoadRunResult[] = [];
  log();
  log(
    `${'scenario'.padEnd(17)} ${'conns'.padStart(5)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'non-2xx'.padStart(7)} ${'err/t-o'.padStart(7)} ${'RSS MB'.padStart(6)} ${'CPU'.padStart(5)}` +
      ` ${'svc µs'.padStart(6)} ${'db µs'.padStart(6)} ${'gen µs'.padStart(6)} ${'oth µs'.padStart(6)}`,
  );
  const bareColdStartMs = new Map<string, number>();
  for (const name of options.scenarios) {
    const scenario = SCENARIOS[name];
    let target = service;
    if (scenario.target === 'bare') {
      const barePort = await freePort();
      const adapter = scenario.bareAdapter ?? 'express';
      log(`starting BARE_ADAPTER=${adapter} node ${nodeArgs.length > 0 ? `${nodeArgs.join(' ')} ` : ''}${BARE_ENTRY} on 127.0.0.1:${barePort} (a bare NestJS app: the framework's floor) …`);
      const bare = await startNodeProcess({
        root,
        entry: BARE_ENTRY,
        name: 'the bare NestJS app',
        port: barePort,
        readyPath: '/bare',
        nodeArgs,
        env: { BARE_ADAPTER: adapter },
      });
      resources.bare = bare;
      bareColdStartMs.set(adapter, bare.coldStartMs);
      log(`ready after ${bare.coldStartMs.toFixed(0)} ms; RSS ${formatMb(readRssBytes(bare.pid))} MB`);
      target = bare;
    }
    if (options.vacuum && scenario.usesWallets) {
      const vacuumed = await vacuumAnalyzeServiceTables(database.url);
      log(`(VACUUM (ANALYZE) of ${vacuumed.tables} service tables: ${vacuumed.ms} ms)`);
    }
    for (const connections of options.connections) {
      if (signal.aborted) throw new Error('aborted');
      if (target.exited()) throw new Error(`${target === service ? 'the service' : 'the bare NestJS app'} exited during the benchmark`);
      const run = await runLoad({
        baseUrl: target.baseUrl,
        authorization,
        scenario,
        context,
        connections,
        seconds: options.seconds,
        servicePid: target.pid,
        postgres: postgresCpu,
        signal,
      });
      if (signal.aborted) throw new Error('aborted');
      runs.push(run);
      const perRequest = cpuPerRequest(run);
      log(
        `${name.padEnd(17)} ${String(connections).padStart(5)} ${run.okPerSecond.toFixed(0).padStart(7)} ${formatMs(run.p50Ms).padStart(7)} ` +
          `${formatMs(run.p99Ms).padStart(7)} ${formatMs(run.maxMs).padStart(7)} ${String(run.non2xx).padStart(7)} ` +
          `${`${run.errors}/${run.timeouts}`.padStart(7)} ${formatMb(run.peakRssBytes).padStart(6)} ${formatPercent(run.serviceCpuPercent).padStart(5)}` +
          ` ${formatUs(perRequest.service).padStart(6)} ${formatUs(perRequest.database).padStart(6)} ${formatUs(perRequest.loadGenerator).padStart(6)} ${formatUs(perRequest.other).padStart(6)}` +
          (run.non2xx > 0 ? `   ${Object.entries(run.problems).map(([kind, count]) => `${kind} ×${count}`).join(', ')}` : ''),
      );
      await sleep(SETTLE_MS);
    }
    if (target !== service) {
      const bareStopped = await target.stop();
      resources.bare = undefined;
      log(`bare NestJS app stopped in ${bareStopped.stopMs.toFixed(0)} ms (exit code ${bareStopped.exitCode}${bareStopped.signal ? `, signal ${bareStopped.signal}` : ''})`);
    }
  }

  // Stop the service before pgbench so the two never compete for the CPU.
  const serviceLogs = service.logLines();
  const stopped = await service.stop();
  log(`service stopped in ${stopped.stopMs.toFixed(0)} ms (exit code ${stopped.exitCode}${stopped.signal ? `, signal ${stopped.signal}` : ''})`);
  const peakRssBytes = runs
    .filter((run) => SCENARIOS[run.scenario as keyof typeof SCENARIOS].target === 'service')
    .reduce<number | null>((peak, run) => (run.peakRssBytes !== null && (peak === null || run.peakRssBytes > peak) ? run.peakRssBytes : peak), null);

  // 5. Raw-SQL limit
  const notes: string[] = [];
  let sqlRows: SqlLimitRow[] = [];
  const sqlScenarios = sqlScenariosFor(options.scenarios);
  const script = resolve(root, '..', 'shared', 'bench', 'sql-limit.sh');
  if (!options.sqlLimit) {
    notes.push('The raw-SQL limit was skipped (--no-sql): no ratios.');
  } else if (sqlScenarios.length === 0) {
    notes.push('No chosen scenario has a SQL counterpart: pgbench not run.');
  } else if (!existsSync(script)) {
    log(`\n${script} not found: no ratios.`);
    notes.push(`${script} was not found: no ratios.`);
  } else if (!findTool('psql', process.env) || !findTool('pgbench', process.env)) {
    log(`\n${PG_TOOLS_HINT}\nContinuing without ratios.`);
    notes.push('psql/pgbench were not installed: no ratios.');
  } else {
    log();
    log(`raw-SQL limit: bash ../shared/bench/sql-limit.sh <url> ${options.seconds} "${options.connections.join(' ')}" "${sqlScenarios.join(' ')}"`);
    // PostgreSQL's CPU at the header line and at each result line: each interval is one reset + VACUUM + pgbench run.
    const sqlDatabaseMs = new Map<string, number | null>();
    let mark: number | null = null;
    const outcome = await runSqlLimit({
      script,
      url: database.url,
      seconds: options.seconds,
      clients: options.connections,
      scenarios: sqlScenarios,
      signal,
      onLine: (line) => {
        if (postgresCpu) {
          const row = parseSqlLimitLine(line);
          if (row) {
            const now = postgresCpu.readMs();
            sqlDatabaseMs.set(`${row.scenario}@${row.clients}`, mark !== null && now !== null ? now - mark : null);
            mark = now;
          } else if (/^scenario\s+clients/.test(line)) {
            mark = postgresCpu.readMs();
          }
        }
        log(`  ${line}`);
      },
    });
    if (signal.aborted) throw new Error('aborted');
    sqlRows = outcome.rows.map((row) => {
      const databaseMs = sqlDatabaseMs.get(`${row.scenario}@${row.clients}`) ?? null;
      return { ...row, databaseUsPerTransaction: microsecondsEach(databaseMs, row.tps * options.seconds) };
    });
    if (outcome.exitCode !== 0 || outcome.timedOut) {
      const why = outcome.timedOut ? 'timed out' : `exited with code ${outcome.exitCode}`;
      log(`sql-limit.sh ${why}; ratios only where it printed a result.${outcome.otherOutput ? `\n${outcome.otherOutput}` : ''}`);
      notes.push(`sql-limit.sh ${why}; ratios only where it printed a result.`);
    }
    const zero = sqlRows.filter((row) => row.tps <= 0).map((row) => `${row.scenario}@${row.clients}`);
    if (zero.length > 0) notes.push(`pgbench printed 0 tps (a failed run) for ${zero.join(', ')}: no ratio there.`);
  }

  // 6. Report
  const problems = problemsSummary(runs);
  if (problems.length > 0) notes.push(`Non-2xx answers and errors: ${problems.join('; ')}.`);
  if (serviceLogs.count > 0) {
    notes.push(`The service logged ${serviceLogs.count} warning/error line(s) during the benchmark; first: ${serviceLogs.kept[0]}`);
  }
  if (!postgresCpu) notes.push(`PostgreSQL's CPU is n/a: ${postgresCpuWhy}.`);
  const cpu = cpus();
  if (loadAtStart > cpu.length * 0.5) {
    notes.push(`The 1-minute load average was already ${loadAtStart.toFixed(2)} on ${cpu.length} cores before the run: other processes may have been busy, so the figures may be pessimistic.`);
  }
  const settings = [
    `**Load**: ${options.seconds} s per run at ${options.connections.join(', ')} connections (autocannon, 127.0.0.1, a new random request and Idempotency-Key per request); ${SETTLE_MS / 1000} s idle between runs; ${options.vacuum ? 'VACUUM (ANALYZE) of the service\'s tables before each scenario, as sql-limit.sh does for its own before each pgbench run' : 'no VACUUM/ANALYZE (--no-vacuum): statistics are whatever autovacuum has gathered so far'}.`,
    seeded
      ? `**Data**: ${WALLET_COUNT} ${CURRENCY} wallets seeded through the API, each funded with ${FUND_MINOR} minor units, plus one merchant wallet; transfers and deposits move 1–100 minor units. Seeding took ${(seeded.seedMs / 1000).toFixed(1)} s. pgbench uses its own 10,000 wallets in schema \`sqllimit\`.`
      : '**Data**: none seeded (no chosen scenario uses wallets). pgbench uses its own 10,000 wallets in schema `sqllimit`.',
    `**Service**: \`node dist/src/main.js\`, NODE_ENV=production, LOG_LEVEL=warn, LOG_REQUESTS=false, DB_POOL_SIZE=${process.env.DB_POOL_SIZE ?? '10 (default)'}. Cold start to ready: ${service.coldStartMs.toFixed(0)} ms. RSS idle after start ${formatMb(idleRssBytes)} MB, peak under load ${formatMb(peakRssBytes)} MB. SIGTERM to exit: ${stopped.stopMs.toFixed(0)} ms.`,
    ...[...bareColdStartMs].map(
      ([adapter, coldStartMs]) =>
        `**Floor**: ${adapter === 'express' ? 'bare_route' : `bare_route_${adapter}`} runs \`BARE_ADAPTER=${adapter} node ${BARE_ENTRY}\` (test/bench/bare-nest.ts: NestJS ${nestVersion(root)} on platform-${adapter}, one route, no middleware) with the same node flags, as its own process; cold start ${coldStartMs.toFixed(0)} ms. The service idles meanwhile.`,
    ),
    `**CPU**: ${postgresCpu ? `PostgreSQL's measured from /proc (${postgresCpuWhy} and its children)` : `PostgreSQL's n/a (${postgresCpuWhy})`}; the service's from /proc/<pid>/stat; the load generator's from process.cpuUsage(); the machine's busy time from /proc/stat.`,
    '**Sharing**: the load generator, the service and PostgreSQL (and later pgbench) all run on this machine and share its cores.',
  ];
  const environment = {
    date: new Date().toISOString(),
    machine: `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB memory, ${osType()} ${osRelease()}; 1-min load average ${loadAtStart.toFixed(2)} at the start`,
    node: process.version,
    postgres,
    command,
    settings,
  };

  log();
  log('=== result ===');
  log(`date ${environment.date}; ${environment.machine}; node ${environment.node}; PostgreSQL ${serverVersion}`);
  log(`command: ${command}`);
  log(`cold start to ready ${service.coldStartMs.toFixed(0)} ms; RSS idle ${formatMb(idleRssBytes)} MB, peak ${formatMb(peakRssBytes)} MB`);
  log();
  log(renderText(resultTable(runs, sqlRows)));
  log();
  log('req/s = 2xx responses per second; ÷ SQL = service req/s ÷ pgbench tps at the same number of clients.');
  for (const line of ratioLegend(options.scenarios)) log(`  ${line}`);
  log();
  log('where the CPU goes (µs of CPU per response):');
  log(renderText(cpuTable(runs, sqlRows)));
  log();
  for (const line of cpuLegend(cpu.length)) log(line);
  if (sqlRows.length > 0) {
    log();
    log(renderText(sqlTable(sqlRows)));
    log();
    for (const line of SQL_CPU_LEGEND) log(line);
  }
  for (const note of notes) log(`note: ${note}`);

  if (options.write) {
    const file = join(root, 'docs', 'benchmarks.md');
    await mkdir(dirname(file), { recursive: true });
    // The hand-written part (what each lever gained or cost) follows a marker and survives every rewrite.
    const previous = await readFile(file, 'utf8').catch(() => '');
    const markerAt = previous.indexOf(KEPT_SECTION_MARKER);
    const kept = markerAt >= 0 ? previous.slice(markerAt) : `${KEPT_SECTION_MARKER}\n`;
    await writeFile(file, `${markdownReport(environment, runs, sqlRows, notes, options.scenarios)}\n${kept}`);
    log(`\nwrote ${file}`);
  }
}

/** The installed @nestjs/core version (the bare app and the service share it). */
function nestVersion(root: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', '@nestjs', 'core', 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

/** Stops the service (bounded drain, then SIGKILL) and the embedded PostgreSQL; idempotent. */
function cleanUp(resources: Resources): Promise<void> {
  resources.cleanup ??= (async () => {
    const bare = resources.bare;
    if (bare && !bare.exited()) await bare.stop().catch(() => bare.killNow());
    const service = resources.service;
    if (service && !service.exited()) await service.stop().catch(() => service.killNow());
    if (resources.database) await resources.database.stop().catch((error: unknown) => log(`could not stop PostgreSQL: ${String(error)}`));
  })();
  return resources.cleanup;
}

async function entry(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (options.help) {
    log(USAGE);
    return 0;
  }

  const resources: Resources = { abort: new AbortController() };
  // Whatever happens, the child does not outlive us.
  process.on('exit', () => {
    resources.service?.killNow();
    resources.bare?.killNow();
  });
  let interrupted = 0;
  const onSignal = (signalName: NodeJS.Signals) => {
    interrupted += 1;
    if (interrupted > 1) {
      resources.service?.killNow();
      resources.bare?.killNow();
      process.exit(130);
    }
    process.stderr.write(`\n${signalName}: stopping the load, the service and PostgreSQL …\n`);
    resources.abort.abort();
    void cleanUp(resources).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await main(options, resources);
    return 0;
  } catch (error) {
    if (resources.abort.signal.aborted) return 130;
    process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  } finally {
    await cleanUp(resources);
  }
}

// Exit explicitly: the embedded server's exit hooks would otherwise turn any exit into code 0.
entry().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
