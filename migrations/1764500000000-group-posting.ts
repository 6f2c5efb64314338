import type { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSql } from './sql-file.js';

/** This migration's frozen SQL is in migrations/sql/1764500000000/ (see sql-file.ts). */
const VERSION = '1764500000000';

/** New here, created in this order (each calls the ones before it) and dropped in reverse. */
const CREATED = [
  'wallet_of_hold',
  'wallets_of_transaction',
  'wallets_of_batch',
  'wallets_of_call',
  'post_movements_together',
  'post_group',
];

/** Rewritten to name their wallets through the new functions; down() puts back the ledger-rules-once bodies. */
const REPLACED = ['capture_hold', 'void_hold', 'refund_transaction', 'post_batch'];

/**
 * Group posting: `post_group(calls)` posts several money moves in one statement and one transaction, locking
 * every wallet of the group once, in ascending id order, then running each call through its own entry point
 * in arrival order (src/ledger/engine/group-poster.ts decides when moves go out together). A group of
 * deposits, withdrawals and transfers only is decided the same way and written set-based
 * (post_movements_together: one INSERT per table and one UPDATE per wallet for the whole group).
 *
 * To lock a group's wallets up front, post_group must know which wallets each call touches; the entry points
 * that look them up (a hold's wallet, an original's wallets, a batch's) now ask the same small functions
 * (wallet_of_hold, wallets_of_transaction, wallets_of_batch), so the rule is stated once. What the entry points
 * do and answer is unchanged.
 */
export class GroupPosting1764500000000 implements MigrationInterface {
  name = 'GroupPosting1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const name of CREATED.slice(0, 3)) await queryRunner.query(migrationSql(VERSION, name));
    for (const name of REPLACED) await queryRunner.query(migrationSql(VERSION, name));
    for (const name of CREATED.slice(3)) await queryRunner.query(migrationSql(VERSION, name));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The ledger-rules-once copies are already CREATE OR REPLACE statements.
    for (const name of REPLACED) await queryRunner.query(migrationSql('1764400000000', name));
    for (const name of [...CREATED].reverse()) await queryRunner.query(`DROP FUNCTION ${name}`);
  }
}
