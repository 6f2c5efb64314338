import type { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSql, replacing } from './sql-file.js';

/** This migration's frozen SQL is in migrations/sql/1764300000000/ (see sql-file.ts). */
const VERSION = '1764300000000';

/**
 * A wallet's entries are stamped in ledger order: each entry's `created_at` is at or after the one before
 * it on the same wallet.
 *
 * The time of a movement is read from the service's clock before the movement waits for its row locks, so
 * two requests on one wallet can take the lock in the other order than they read the clock. Stamped with
 * that time, the later entry (higher id) could carry the earlier time. Statements cut a period by
 * `created_at` and chain balances by id; across such a pair the opening balance would no longer be the
 * balance before the period's first entry, and `balance?at=` could read a balance that never stood.
 *
 * Now each wallet remembers its last entry's time (`last_entry_at`, written in the UPDATE that moves its
 * balance, so no extra statement), and a new entry is stamped with the later of the movement's time and
 * that. The transaction keeps the movement's own time. System-account legs have no order to keep.
 */
export class EntryTimeInLedgerOrder1764300000000 implements MigrationInterface {
  name = 'EntryTimeInLedgerOrder1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE wallets ADD COLUMN last_entry_at timestamptz`);
    // The latest stamp so far, not the stamp of the highest id: a later entry must not go below any of them.
    await queryRunner.query(`
      UPDATE wallets w SET last_entry_at = latest.at
        FROM (SELECT wallet_id, max(created_at) AS at FROM entries WHERE wallet_id IS NOT NULL GROUP BY wallet_id) latest
       WHERE latest.wallet_id = w.id`);
    await queryRunner.query(migrationSql(VERSION, 'write_legs'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // write_legs as the holds-and-refunds migration created it
    await queryRunner.query(replacing(migrationSql('1764200000000', 'write_legs')));
    await queryRunner.query(`ALTER TABLE wallets DROP COLUMN last_entry_at`);
  }
}
