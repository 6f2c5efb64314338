import type { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSql, replacing } from './sql-file.js';

/** This migration's frozen SQL is in migrations/sql/1764400000000/ (see sql-file.ts). */
const VERSION = '1764400000000';

/** New here, created in this order (hold_status_at calls hold_is_due) and dropped in reverse. */
const CREATED = ['hold_is_due', 'hold_status_at', 'claim_and_lock'];

/** Rewritten on top of the new ones; down() puts back the bodies the holds-and-refunds migration created. */
const REPLACED = [
  'release_due_holds',
  'apply_capture',
  'apply_void',
  'post_movement',
  'place_hold',
  'capture_hold',
  'void_hold',
  'refund_transaction',
  'post_batch',
];

/**
 * Two rules of the posting engine stated once in SQL instead of once per function; what the functions do
 * is unchanged.
 *
 * - The due-hold rule (`status = 'active' AND expires_at <= <time>`): `hold_is_due(status, expires_at, at)`,
 *   and `hold_status_at(status, expires_at, at)` for the status a reader sees ('expired' when due). Both are
 *   plain IMMUTABLE SQL that PostgreSQL inlines, so a query written with them plans as one written with the
 *   literal predicate: release_due_holds' UPDATE still finds a wallet's due holds through the partial index
 *   holds_active_wallet_expiry_idx. release_due_holds, apply_capture and apply_void use hold_is_due.
 * - The preamble of the six entry points (claim the Idempotency-Key, answer with the replay if there is one,
 *   lock the wallets with one SELECT … FOR UPDATE in ascending id order): `claim_and_lock(tenant, wallet ids,
 *   scope, key, request hash, transaction id)`, NULL meaning "go on". Each entry point names its wallets and
 *   calls it once; the claim still comes before the locks. The entry points keep their names, parameters
 *   and answers.
 *
 * One thing moves: capture_hold, void_hold, refund_transaction and post_batch now read which wallets to lock
 * (a hold's wallet, an original's wallets, a batch's uuids) just before the claim instead of just after it.
 * Those rows never change, so the same wallets are locked; only a malformed uuid in a batch operation, which
 * the service's validation refuses before any SQL runs, would now fail before a replay could be answered.
 */
export class LedgerRulesOnce1764400000000 implements MigrationInterface {
  name = 'LedgerRulesOnce1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const name of [...CREATED, ...REPLACED]) await queryRunner.query(migrationSql(VERSION, name));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of REPLACED) await queryRunner.query(replacing(migrationSql('1764200000000', name)));
    for (const name of [...CREATED].reverse()) await queryRunner.query(`DROP FUNCTION ${name}`);
  }
}
