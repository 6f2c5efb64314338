import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { validateEnvironment } from '../config/environment.js';
import { databaseOptions } from '../database/database-options.js';
import type { EmbeddedDatabase } from '../database/embedded-postgres.js';
import { LedgerVerifier, type LedgerReport } from './ledger-verifier.js';

const EXIT_OK = 0;
const EXIT_DRIFT = 1;
const EXIT_ERROR = 2;
const USAGE = 'usage: npm run ledger:verify [-- --json]';
/** The checks read whole tables; on a large ledger that may take longer than a request may. */
const STATEMENT_TIMEOUT_MS = 3_600_000;

/**
 * `npm run ledger:verify`: runs the ledger self-check against DATABASE_URL, or against the embedded
 * database when it is unset (started like `npm start` and `npm run migration:run` start it).
 * Prints a summary and the JSON report (`--json`: the report only). Exit 0: no drift; 1: drift; 2: error.
 */
async function main(args: string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--json');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown[0]}\n${USAGE}`);
    return EXIT_ERROR;
  }
  const jsonOnly = args.includes('--json');
  const env = validateEnvironment(process.env);
  let embedded: EmbeddedDatabase | undefined;
  if (!env.DATABASE_URL) {
    // Loaded only when needed, as in main.ts: production images ship without the embedded server.
    const { startEmbeddedPostgres } = await import('../database/embedded-postgres.js');
    embedded = await startEmbeddedPostgres({ dataDir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT });
  }
  const dataSource = new DataSource(
    databaseOptions({
      url: env.DATABASE_URL ?? embedded!.url,
      poolSize: 1,
      connectionTimeoutMs: env.DB_CONNECTION_TIMEOUT_MS,
      lockTimeoutMs: 60_000,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    }),
  );
  try {
    await dataSource.initialize();
    const report = await new LedgerVerifier(dataSource).verify();
    if (!jsonOnly) console.log(summary(report));
    console.log(JSON.stringify(report, null, 2));
    return report.ok ? EXIT_OK : EXIT_DRIFT;
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await embedded?.stop();
  }
}

function summary(report: LedgerReport): string {
  const { counts } = report;
  const lines = [
    `Ledger self-check at ${report.checkedAt} (${report.durationMs} ms): ${report.ok ? 'OK, no drift' : `DRIFT (${report.driftCount})`}`,
    `  ${counts.wallets} wallets, ${counts.transactions} transactions, ${counts.entries} entries, ${counts.holds} holds`,
  ];
  const width = Math.max(...report.checks.map((c) => c.check.length));
  for (const check of report.checks) {
    lines.push(`  ${check.driftCount === 0 ? 'ok   ' : 'DRIFT'} ${check.check.padEnd(width)}  ${check.driftCount}`);
    for (const drift of report.drift.filter((d) => d.check === check.check)) {
      lines.push(`          ${drift.id}: expected ${drift.expected ?? '(none)'}, actual ${drift.actual ?? '(none)'} — ${drift.detail}`);
    }
    const unlisted = check.driftCount - report.drift.filter((d) => d.check === check.check).length;
    if (unlisted > 0) lines.push(`          … and ${unlisted} more`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Exits explicitly once stdout and stderr are flushed: the embedded server's package installs an exit
 * hook that would otherwise end the process with 0 whatever process.exitCode says.
 */
function exit(code: number): void {
  let pending = 2;
  const done = () => --pending === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  console.error(`ledger:verify failed: ${error instanceof Error ? error.message : String(error)}`);
  exit(EXIT_ERROR);
});
