import { exitAfterFlush, withCliDataSource } from './cli-data-source.js';
import { LedgerVerifier, type LedgerReport } from '../ledger/verify/ledger-verifier.js';

const EXIT_OK = 0;
const EXIT_DRIFT = 1;
const EXIT_ERROR = 2;
const USAGE = 'usage: npm run ledger:verify [-- --json]';

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
  return withCliDataSource(async (dataSource) => {
    const report = await new LedgerVerifier(dataSource).verify();
    if (!jsonOnly) console.log(summary(report));
    console.log(JSON.stringify(report, null, 2));
    return report.ok ? EXIT_OK : EXIT_DRIFT;
  });
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
      lines.push(`          ${drift.id}${drift.entryId !== undefined ? ` entry ${drift.entryId}` : ''}: expected ${drift.expected ?? '(none)'}, actual ${drift.actual ?? '(none)'} — ${drift.detail}`);
    }
    const unlisted = check.driftCount - report.drift.filter((d) => d.check === check.check).length;
    if (unlisted > 0) lines.push(`          … and ${unlisted} more`);
  }
  return `${lines.join('\n')}\n`;
}

main(process.argv.slice(2)).then(exitAfterFlush, (error: unknown) => {
  console.error(`ledger:verify failed: ${error instanceof Error ? error.message : String(error)}`);
  exitAfterFlush(EXIT_ERROR);
});
