import { parseArgs } from 'node:util';
import { exitAfterFlush, withCliDataSource } from './cli-data-source.js';
import { seedDemoData, SeedRefusedError, type SeedResult } from '../seed/demo-seed.js';

const USAGE = `usage: npm run seed [-- --seed N] [--force] [--json]

Fills an empty database with demo data: tenants default, acme and globex, buyers' and sellers' wallets in
EUR, USD and GBP, and a month of history (top-ups, orders held and captured to sellers, cancelled and
abandoned checkouts, returns, transfers, payouts), posted through the ledger's own SQL functions.
Creates one API key per tenant other than default and prints its secret (demo only).

  --seed N   the same N gives the same history, relative to the time of the run (default 1)
  --force    add demo data even though the database already holds wallets (owner ids get a suffix)
  --json     print the result as JSON only

Uses DATABASE_URL, or the embedded database when it is unset (stop the service first); runs pending
migrations first. Exit codes: 0 seeded, 1 refused (the database is not empty), 2 bad input or error.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { seed: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new UsageError(`--seed takes an integer 0–4294967295; got ${values.seed}`);
  const json = values.json === true;
  return withCliDataSource(async (dataSource) => {
    try {
      const result = await seedDemoData(dataSource, { seed, force: values.force === true, log: json ? undefined : (line) => console.log(line) });
      console.log(json ? JSON.stringify(result, null, 2) : report(result));
      return 0;
    } catch (error) {
      if (!(error instanceof SeedRefusedError)) throw error;
      console.error(`seed refused: ${error.message}`);
      return 1;
    }
  });
}

const number = (value: number) => value.toLocaleString('en-US');
const minutes = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function report(result: SeedResult): string {
  const { totals } = result;
  const lines = [
    '',
    `Demo data (seed ${result.seed}${result.ownerSuffix ? `, owner ids ending in ${result.ownerSuffix}` : ''}): ` +
      `${result.tenants.length} tenants, ${number(totals.wallets)} wallets, ${number(totals.transactions)} transactions ` +
      `(${number(totals.entries)} entries), ${number(totals.holds)} holds`,
    `from ${minutes(result.from)} to ${minutes(result.to)}; ${number(result.operations)} ledger calls in ${result.batches} batches, ` +
      `${(result.durationMs / 1000).toFixed(1)} s`,
    '',
  ];
  const header = ['tenant', 'wallets', 'currencies', 'deposits', 'withdrawals', 'transfers', 'captures', 'refunds', 'holds active/captured/voided/expired'];
  const rows = result.tenants.map((t) => [
    t.tenantId,
    `${t.wallets} (${t.buyers} buyers, ${t.sellers} sellers)`,
    t.currencies.join(','),
    ...['deposit', 'withdrawal', 'transfer', 'capture', 'refund'].map((type) => number(t.transactions[type] ?? 0)),
    ['active', 'captured', 'voided', 'expired'].map((status) => number(t.holds[status] ?? 0)).join(' / '),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  for (const row of [header, ...rows]) lines.push(`  ${row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()}`);

  lines.push('', 'API keys (demo only: each secret is shown once here, the database keeps only its SHA-256):');
  lines.push(`  default  the development key dev-secret-key (when API_KEYS is unset), or a key of yours from API_KEYS`);
  for (const key of result.keys) lines.push(`  ${key.tenantId.padEnd(7)}  key "${key.name}" (wallets:read, wallets:write)  ${key.secret}`);

  const key = result.keys.find((k) => k.tenantId === 'acme') ?? result.keys[0];
  const buyer = result.examples.find((e) => e.tenantId === key?.tenantId && e.ownerId.startsWith('buyer_'));
  const seller = result.examples.find((e) => e.tenantId === key?.tenantId && e.ownerId.startsWith('seller_'));
  const middle = new Date((result.from.getTime() + result.to.getTime()) / 2);
  lines.push('', 'Look at it: start the service (npm start), then, as tenant acme:');
  if (key && buyer && seller) {
    lines.push(
      `  K='Authorization: Bearer ${key.secret}'`,
      `  curl -s 'localhost:3000/v1/wallets?ownerId=${buyer.ownerId}' -H "$K"                      # the buyer's wallets`,
      `  curl -s 'localhost:3000/v1/wallets/${buyer.id}/transactions?limit=5' -H "$K"   # latest movements`,
      `  curl -s 'localhost:3000/v1/wallets/${buyer.id}/holds?status=active' -H "$K"    # open orders`,
      `  curl -s 'localhost:3000/v1/wallets/${seller.id}/statement' -H "$K"             # the seller's month`,
      `  curl -s 'localhost:3000/v1/wallets/${seller.id}/balance?at=${middle.toISOString().slice(0, 10)}T12:00:00Z' -H "$K"`,
      `  curl -s 'localhost:3000/v1/reports/monthly?year=${result.to.getUTCFullYear()}&month=${result.to.getUTCMonth() + 1}&currency=${buyer.currency}' -H "$K"`,
    );
  }
  lines.push(
    '  Swagger UI: http://localhost:3000/docs ("Authorize" with one of the keys above)',
    '  The books: npm run ledger:verify (with the service stopped, or DATABASE_URL set)',
    '',
  );
  return lines.join('\n');
}

main(process.argv.slice(2)).then(exitAfterFlush, (error: unknown) => {
  const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  console.error(usage ? `${(error as Error).message}\n${USAGE}` : `seed failed: ${error instanceof Error ? error.message : String(error)}`);
  exitAfterFlush(2);
});
