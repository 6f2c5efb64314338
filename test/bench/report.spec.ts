import type { CpuSplit } from './cpu.js';
import type { LoadRunResult } from './load.js';
import { cpuPerRequest, cpuTable, sqlTable } from './report.js';
import type { SqlLimitRow } from './sql-limit.js';

function run(scenario: string, connections: number, responses: number, cpu: Partial<CpuSplit>): LoadRunResult {
  return {
    scenario,
    connections,
    durationS: 3,
    responses,
    ok: responses,
    okPerSecond: responses / 3,
    p50Ms: 1,
    p99Ms: 2,
    maxMs: 3,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    peakRssBytes: null,
    serviceCpuPercent: null,
    cpu: { wallMs: 3_000, cores: 2, serviceMs: null, databaseMs: null, loadGeneratorMs: 0, machineBusyMs: null, otherMs: null, ...cpu },
    problems: {},
  };
}

describe('the CPU table', () => {
  const transfer = run('transfer_uniform', 8, 2_000, { serviceMs: 1_200, databaseMs: 1_600, loadGeneratorMs: 400, machineBusyMs: 3_600, otherMs: 400 });
  const bare = run('bare_route', 8, 12_000, { serviceMs: 1_800, databaseMs: 12, loadGeneratorMs: 1_200, machineBusyMs: 3_300, otherMs: 288 });
  const sql: SqlLimitRow[] = [{ scenario: 'transfer_single_statement', clients: 8, tps: 3_000, avgMs: 2.5, databaseUsPerTransaction: 200 }];

  it('divides each part by the responses, in µs', () => {
    expect(cpuPerRequest(transfer)).toEqual({ service: 600, database: 800, loadGenerator: 200, other: 200, busy: 1_800, busyPercent: 60 });
  });

  it('gives svc ÷ bare at the same connections and db ÷ the one-statement script\'s database CPU per transaction', () => {
    const table = cpuTable([transfer, bare], sql);
    const column = (name: string) => table.headers.indexOf(name);
    expect(table.rows[0]![column('svc ÷ bare')]).toBe('4.00 (150 µs)');
    expect(table.rows[0]![column('db ÷ SQL one statement')]).toBe('4.00 (200 µs)');
    expect(table.rows[1]![column('svc ÷ bare')]).toBe('');
    expect(table.rows[1]![column('db ÷ SQL one statement')]).toBe('');
  });

  it('prints n/a, never a figure, for what was not measured', () => {
    const remote = run('transfer_uniform', 32, 1_000, { serviceMs: 500 });
    const row = cpuTable([remote], [])!.rows[0]!;
    expect(row.slice(3, 11)).toEqual(['500', 'n/a', '0', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a']);
    expect(sqlTable([{ scenario: 'balance_read', clients: 1, tps: 0, avgMs: null, databaseUsPerTransaction: null }]).rows[0]).toEqual(['balance_read', '1', '0', 'n/a', 'n/a']);
  });
});
