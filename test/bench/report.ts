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

export function sqlTable(sqlRows: readonly SqlLimitRow[]): Table {
  return {
    headers: ['pgbench script', 'clients', 'tps', 'avg ms'],
    align: ['left', 'right', 'right', 'right'],
    rows: sqlRows.map((row) => [row.scenario, String(row.clients), row.tps.toFixed(0), row.avgMs === null ? 'n/a' : formatMs(row.avgMs)]),
  };
}

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
    '  the service process during the run (sampled every 100 ms). **svc CPU**: CPU time of the service process over the run, in %',
    '  of one core (Node serves on one thread; near 100 % means the service itself is the bottleneck). **÷ SQL**: service req/s divided by pgbench tps of the',
    '  matching script at the same number of clients (one client = one connection), e.g. 0.40 = 40 % of the raw-SQL limit.',
    ...ratioLegend(scenarios).map((line) => `- ${line}`),
    '',
  ];
  if (sqlRows.length > 0) {
    lines.push('## Raw-SQL limit (pgbench)', '', renderMarkdown(sqlTable(sqlRows)), '');
  }
  if (notes.length > 0) {
    lines.push('## Notes', '', ...notes.map((note) => `- ${note}`), '');
  }
  return lines.join('\n');
}
