import { microsecondsEach, ratio } from './cpu.js';
import type { LoadRunResult } from './load.js';
import type { ScenarioName } from './options.js';
import { SCENARIOS, type SqlScenarioName } from './scenarios.js';
import type { SqlLimitRow } from './sql-limit.js';

export type Align = 'left' | 'right';

export interface Table {
  headers: string[];
  align: Align[];
  rows: string[][];
}

export function renderText(table: Table): string {
  const widths = table.headers.map((header, column) => Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (table.align[column] === 'left' ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(table.headers), line(widths.map((width) => '-'.repeat(width))), ...table.rows.map(line)].join('\n');
}

export function renderMarkdown(table: Table): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const separator = table.align.map((align) => (align === 'left' ? ':---' : '---:'));
  return [table.headers, separator, ...table.rows].map((cells) => `| ${cells.map(escape).join(' | ')} |`).join('\n');
}

export function formatMs(ms: number | null): string {
  if (ms === null) return 'n/a';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export function formatMb(bytes: number | null): string {
  return bytes === null ? 'n/a' : (bytes / (1024 * 1024)).toFixed(0);
}

export function formatPercent(percent: number | null): string {
  return percent === null ? 'n/a' : `${percent.toFixed(0)} %`;
}

/** µs, whole numbers (the /proc clock ticks are 10 ms: finer digits would be noise). */
export function formatUs(us: number | null | undefined): string {
  return us === null || us === undefined ? 'n/a' : us.toFixed(0);
}

function findSql(sqlRows: readonly SqlLimitRow[], scenario: SqlScenarioName | undefined, clients: number): SqlLimitRow | undefined {
  if (!scenario) return undefined;
  return sqlRows.find((row) => row.scenario === scenario && row.clients === clients);
}

function ratioCell(serviceRps: number, sql: SqlLimitRow | undefined, scenario: SqlScenarioName | undefined): string {
  if (!scenario) return '';
  if (!sql || sql.tps <= 0) return 'n/a';
  return `${(serviceRps / sql.tps).toFixed(2)} (${sql.tps.toFixed(0)} tps)`;
}

/** The final table: one row per service run, with its ratios to the matching pgbench runs. */
export function resultTable(runs: readonly LoadRunResult[], sqlRows: readonly SqlLimitRow[]): Table {
  return {
    headers: ['scenario', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors/timeouts', 'RSS MB', 'svc CPU', '÷ SQL one statement', '÷ SQL BEGIN…COMMIT'],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows: runs.map((run) => {
      const { oneStatement, multiRoundTrip } = SCENARIOS[run.scenario as ScenarioName].sql;
      return [
        run.scenario,
        String(run.connections),
        run.okPerSecond.toFixed(0),
        formatMs(run.p50Ms),
        formatMs(run.p99Ms),
        String(run.non2xx),
        `${run.errors}/${run.timeouts}`,
        formatMb(run.peakRssBytes),
        formatPercent(run.serviceCpuPercent),
        ratioCell(run.okPerSecond, findSql(sqlRows, oneStatement, run.connections), oneStatement),
        ratioCell(run.okPerSecond, findSql(sqlRows, multiRoundTrip, run.connections), multiRoundTrip),
      ];
    }),
  };
}

/** CPU per request of one run, in µs: the parts and the machine's busy time (null = not measurable). */
export interface CpuPerRequest {
  service: number | null;
  database: number | null;
  loadGenerator: number | null;
  other: number | null;
  busy: number | null;
  /** Machine busy time as % of all its cores over the run. */
  busyPercent: number | null;
}

export function cpuPerRequest(run: LoadRunResult): CpuPerRequest {
  const { cpu, responses } = run;
  return {
    service: microsecondsEach(cpu.serviceMs, responses),
    database: microsecondsEach(cpu.databaseMs, responses),
    loadGenerator: microsecondsEach(cpu.loadGeneratorMs, responses),
    other: microsecondsEach(cpu.otherMs, responses),
    busy: microsecondsEach(cpu.machineBusyMs, responses),
    busyPercent: cpu.machineBusyMs !== null && cpu.wallMs > 0 && cpu.cores > 0 ? (cpu.machineBusyMs / (cpu.wallMs * cpu.cores)) * 100 : null,
  };
}

const BARE_SCENARIO: ScenarioName = 'bare_route';

function ratioToCell(value: number | null, reference: number | null | undefined): string {
  const quotient = ratio(value, reference);
  return quotient === null ? 'n/a' : `${quotient.toFixed(2)} (${formatUs(reference)} µs)`;
}

/** Where the CPU went, per run: µs per response of each part, and the ratios to the floors. */
export function cpuTable(runs: readonly LoadRunResult[], sqlRows: readonly SqlLimitRow[]): Table {
  return {
    headers: ['scenario', 'conns', 'responses', 'svc µs/req', 'db µs/req', 'load gen µs/req', 'other µs/req', 'busy µs/req', 'busy', 'svc ÷ bare', 'db ÷ SQL one statement'],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows: runs.map((run) => {
      const perRequest = cpuPerRequest(run);
      const bare = runs.find((other) => other.scenario === BARE_SCENARIO && other.connections === run.connections);
      const { oneStatement } = SCENARIOS[run.scenario as ScenarioName].sql;
      const sql = findSql(sqlRows, oneStatement, run.connections);
      return [
        run.scenario,
        String(run.connections),
        String(run.responses),
        formatUs(perRequest.service),
        formatUs(perRequest.database),
        formatUs(perRequest.loadGenerator),
        formatUs(perRequest.other),
        formatUs(perRequest.busy),
        formatPercent(perRequest.busyPercent),
        run.scenario === BARE_SCENARIO ? '' : ratioToCell(perRequest.service, bare ? cpuPerRequest(bare).service : null),
        oneStatement ? ratioToCell(perRequest.database, sql?.databaseUsPerTransaction) : '',
      ];
    }),
  };
}

/** What the CPU table's columns are; one line each. */
export function cpuLegend(cores: number): string[] {
  return [
    'svc µs/req: CPU time (user + system, all threads) of the process under load over the run, from /proc/<pid>/stat, ÷ its responses (any status);',
    '  the service, or for bare_route (bare_route_fastify) the bare NestJS app on Express (on Fastify), test/bench/bare-nest.ts.',
    'db µs/req: PostgreSQL\'s CPU over the run ÷ responses: the postmaster\'s utime + stime + cutime + cstime (cutime/cstime hold the',
    '  backends and workers it has reaped) plus utime + stime of its live children; everything the server does, autovacuum and',
    '  checkpoints included. n/a where it cannot be exact: a server on another host, /proc unreadable, a pid from another namespace.',
    'load gen µs/req: this process (autocannon and the sampling), process.cpuUsage(). other µs/req: the machine\'s busy time',
    `  (/proc/stat user + nice + system + irq + softirq over its ${cores} cores) minus the three: other processes, and interrupt time`,
    '  the kernel charges to none. busy µs/req: that busy time ÷ responses; busy: it as % of all cores over the run.',
    'svc ÷ bare: svc µs/req ÷ bare_route\'s at the same connections (the framework\'s floor). db ÷ SQL one statement: db µs/req ÷',
    '  the database CPU per transaction of the matching one-statement pgbench script at the same clients (pgbench table).',
    '/proc times count in clock ticks (10 ms at USER_HZ 100) per process: short runs at low rates are coarse.',
  ];
}

export function sqlTable(sqlRows: readonly SqlLimitRow[]): Table {
  return {
    headers: ['pgbench script', 'clients', 'tps', 'avg ms', 'db µs/txn'],
    align: ['left', 'right', 'right', 'right', 'right'],
    rows: sqlRows.map((row) => [
      row.scenario,
      String(row.clients),
      row.tps.toFixed(0),
      row.avgMs === null ? 'n/a' : formatMs(row.avgMs),
      formatUs(row.databaseUsPerTransaction),
    ]),
  };
}

export const SQL_CPU_LEGEND = [
  'db µs/txn: PostgreSQL\'s CPU (measured as for db µs/req) between consecutive result lines of sql-limit.sh ÷ (tps × seconds).',
  '  Each interval also covers the script\'s reset of its small table (10,000 wallets re-inserted, ledger truncated), its',
  '  VACUUM ANALYZE and pgbench\'s connection set-up before the run, so it slightly overstates the per-transaction cost.',
];

/** Which pgbench script each ratio column uses, per service scenario. */
export function ratioLegend(scenarios: readonly ScenarioName[]): string[] {
  return scenarios.map((name) => {
    const { oneStatement, multiRoundTrip } = SCENARIOS[name].sql;
    const parts = [oneStatement && `÷ ${oneStatement}.sql`, multiRoundTrip && `÷ ${multiRoundTrip}.sql (7 round trips)`].filter(Boolean);
    return `${name}: ${SCENARIOS[name].summary}${parts.length > 0 ? `; ratios ${parts.join(', ')}` : '; no SQL counterpart'}`;
  });
}

export function problemsSummary(runs: readonly LoadRunResult[]): string[] {
  return runs
    .filter((run) => run.non2xx > 0 || run.errors > 0 || run.timeouts > 0)
    .map((run) => {
      const kinds = Object.entries(run.problems)
        .sort((a, b) => b[1] - a[1])
        .map(([kind, count]) => `${kind} ×${count}`);
      const transport = run.errors + run.timeouts > 0 ? [`connection errors ×${run.errors}`, `timeouts ×${run.timeouts}`] : [];
      return `${run.scenario} @ ${run.connections}: ${[...kinds, ...transport].join(', ')}`;
    });
}

/** Legend lines (continuations indented by two spaces) as a Markdown list. */
function legendAsMarkdown(legend: readonly string[]): string[] {
  return legend.map((line) => (line.startsWith('  ') ? line : `- ${line}`));
}

export interface Environment {
  date: string;
  machine: string;
  node: string;
  postgres: string;
  command: string;
  settings: string[];
}

export function markdownReport(environment: Environment, runs: readonly LoadRunResult[], sqlRows: readonly SqlLimitRow[], notes: string[], scenarios: readonly ScenarioName[]): string {
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench -- --write` (`test/bench/run-bench.ts`). The service runs from its production build as a',
    'child process; autocannon drives HTTP on 127.0.0.1; then `../shared/bench/sql-limit.sh` runs pgbench against the same',
    'PostgreSQL, one run after another (never overlapping). Absolute figures depend on the machine: compare the ratios.',
    '',
    `- **Date**: ${environment.date}`,
    `- **Machine**: ${environment.machine}`,
    `- **Node**: ${environment.node}`,
    `- **PostgreSQL**: ${environment.postgres}`,
    `- **Command**: \`${environment.command}\``,
    ...environment.settings.map((setting) => `- ${setting}`),
    '',
    '## Service',
    '',
    renderMarkdown(resultTable(runs, sqlRows)),
    '',
    '- **req/s**: 2xx responses per second. **p50/p99**: latency of every response, in ms. **RSS**: peak resident memory of',
    '  the service process during the run (sampled every 100 ms; for bare_route and bare_route_fastify, of the bare app). **svc CPU**: CPU time of that process over the run, in %',
    '  of one core (Node serves on one thread; near 100 % means the service itself is the bottleneck). **÷ SQL**: service req/s divided by pgbench tps of the',
    '  matching script at the same number of clients (one client = one connection), e.g. 0.40 = 40 % of the raw-SQL limit.',
    ...ratioLegend(scenarios).map((line) => `- ${line}`),
    '',
    '## Where the CPU goes',
    '',
    renderMarkdown(cpuTable(runs, sqlRows)),
    '',
    ...legendAsMarkdown(cpuLegend(runs[0]?.cpu.cores ?? 0)),
    '',
  ];
  if (sqlRows.length > 0) {
    lines.push('## Raw-SQL limit (pgbench)', '', renderMarkdown(sqlTable(sqlRows)), '', ...legendAsMarkdown(SQL_CPU_LEGEND), '');
  }
  if (notes.length > 0) {
    lines.push('## Notes', '', ...notes.map((note) => `- ${note}`), '');
  }
  return lines.join('\n');
}
