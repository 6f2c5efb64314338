import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger indexed by time: a wallet's entries by (wallet_id, created_at, id), replacing (wallet_id, id),
 * and transactions by created_at for the monthly report.
 *
 * Statements, `balance?at=` and history pages with from/to cut a wallet's entries by `created_at`; with only
 * (wallet_id, id) PostgreSQL walked every entry the wallet ever had. On a wallet with 1 M entries a one-hour
 * statement took 36–45 s for a period early in its history and 1.6–2 s for a recent one (past the service's
 * statement timeout: a 503); with this index, 1–3 ms.
 *
 * It replaces the old index rather than joining it: since the previous migration a wallet's stamps follow
 * ledger order, so (created_at, id) orders its entries exactly as id does, and every read walks this one
 * index. Postings maintain one index per entry, as before (pgbench calling post_movement, 3 interleaved
 * pairs: −5 % on average, inside this machine's ±10 % noise).
 *
 * The monthly report reads one month of `transactions` by `created_at`: a BRIN index (a few kB: rows are
 * appended in roughly time order) lets it read that month's pages instead of the whole table, and costs a
 * posting next to nothing. On 1.2 M transactions: 370 ms → 120–290 ms, and the gap grows with the table.
 *
 * Built CONCURRENTLY, so a large `entries` table keeps taking postings meanwhile; that cannot run inside a
 * transaction, hence `transaction = false`. A build that failed half-way leaves an invalid index, which
 * the DROP … IF EXISTS clears before the next attempt. (TypeORM's revert ignores `transaction = false`:
 * undo it with `undoLastMigration({ transaction: 'none' })`.)
 */
export class LedgerByTime1764300000001 implements MigrationInterface {
  name = 'LedgerByTime1764300000001';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS entries_wallet_id_created_at_idx`);
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY entries_wallet_id_created_at_idx ON entries (wallet_id, created_at, id) WHERE wallet_id IS NOT NULL`,
    );
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS entries_wallet_id_id_idx`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS transactions_created_at_brin`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY transactions_created_at_brin ON transactions USING brin (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS transactions_created_at_brin`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS entries_wallet_id_id_idx`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY entries_wallet_id_id_idx ON entries (wallet_id, id) WHERE wallet_id IS NOT NULL`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS entries_wallet_id_created_at_idx`);
  }
}
