import type { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSql, replacing } from './sql-file.js';

/** This migration's frozen SQL is in migrations/sql/1764700000000/ (see sql-file.ts). */
const VERSION = '1764700000000';

/** New here, created in this order (the SQL ones call those before them) and dropped in reverse. */
const CREATED = [
  'utc_day',
  'utc_month',
  'debit_usage_returned',
  'debit_usage',
  'limit_refusal',
  'ledger_hash_field',
  'transaction_hash_text',
  'entry_hash',
];

/** Rewritten to keep limits and chains; down() puts back the newest earlier frozen copy of each (the version here). */
const REPLACED: Record<string, string> = {
  movement_refusal: '1764200000000',
  apply_movement: '1764200000000',
  apply_hold: '1764200000000',
  apply_capture: '1764400000000',
  apply_void: '1764400000000',
  apply_refund: '1764200000000',
  release_due_holds: '1764400000000',
  post_movements_together: '1764500000000',
  transaction_document: '1764070000000',
};

/** write_legs changes its parameters (it takes the transaction row and the paying wallet as the caller decided them). */
const OLD_WRITE_LEGS = 'write_legs(text, uuid, char(3), uuid, text, uuid, text, bigint, bigint, timestamptz)';
const NEW_WRITE_LEGS = 'write_legs(transactions, wallets, text, uuid, text, bigint)';

/**
 * The chains of the entries that exist: every wallet's entries in ledger order (entries.id), each hashed over
 * the one before it, as write_legs would have hashed them; then each wallet's last hash on its row. One pass
 * in (wallet, id) order, one UPDATE of every wallet entry (the append-only trigger is off for it alone, inside
 * this migration's transaction), one UPDATE per wallet.
 */
const BACKFILL_CHAINS = `
  DO $$
  DECLARE
    r        record;
    v_wallet uuid;
    v_hash   bytea;
    v_ids    bigint[] := '{}';
    v_hashes bytea[] := '{}';
  BEGIN
    FOR r IN SELECT e.id, e.wallet_id, e.amount, e.balance_after, e.created_at,
                    transaction_hash_text(t.id, t.type, t.reference, t.description, t.metadata) AS content
               FROM entries e JOIN transactions t ON t.id = e.transaction_id
              WHERE e.wallet_id IS NOT NULL
              ORDER BY e.wallet_id, e.id LOOP
      IF r.wallet_id IS DISTINCT FROM v_wallet THEN
        v_wallet := r.wallet_id;
        v_hash := NULL;
      END IF;
      v_hash := entry_hash(v_hash, r.wallet_id, r.amount, r.balance_after, r.created_at, r.content);
      v_ids := v_ids || r.id;
      v_hashes := v_hashes || v_hash;
    END LOOP;
    UPDATE entries e SET hash = u.hash FROM unnest(v_ids, v_hashes) u(id, hash) WHERE e.id = u.id;
  END $$`;

/**
 * Money controls: limits on what a wallet may pay out per UTC day and month and on what it may hold, checked
 * under the wallet's row lock in the same statement as funds; and a tamper-evident chain of every wallet's
 * entries.
 *
 * Limits (`wallets.limit_daily_debit`, `limit_monthly_debit`, `limit_max_balance`; NULL: none) bound what leaves
 * the wallet (withdrawals, transfers out, refunds it pays back, holds from when they are placed) and its balance
 * after any move in. What is used lives on the wallet row with the period it belongs to (`debit_period`, a UTC
 * day; `debit_day_used`, `debit_month_used`), written in the UPDATE that moves the balance, so a new day or
 * month starts at zero with no job and usage costs no statement of its own (debit_usage.sql). A hold remembers
 * the period it counted in (`holds.debit_counted_on`); a void, an expiry or the rest of a capture gives its
 * amount back while that period lasts. Usage counts from this migration on: holds active now were placed
 * before limits existed (debit_counted_on NULL) and count, if captured, when they are.
 *
 * The chain: each wallet entry's `hash` is SHA-256 over the previous entry's hash of the same wallet and the
 * entry's own content and its transaction's (entry_hash.sql); the wallet keeps its last one
 * (`wallets.last_entry_hash`), so posting chains under the row lock it already holds. The entries that exist are
 * chained here, in ledger order (BACKFILL_CHAINS): every wallet entry carries a hash from now on, a CHECK says
 * so, and the self-check can recompute every chain from its first entry. That is one UPDATE of every wallet
 * entry in this migration's transaction, while postings wait: 500 k wallet entries in a 1 M-entry ledger took 26 s (rough,
two busy cores); VACUUM reclaims the old row versions afterwards.
 */
export class MoneyControls1764700000000 implements MigrationInterface {
  name = 'MoneyControls1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Single-column rules as domains: PostgreSQL checks a domain only where a statement assigns the column (a
    // limit on create and PATCH, usage on a debit, a hash on a posting), from a cached expression, while each table
    // CHECK is read back from the catalog and set up again by every statement that writes the row (roughly 2 µs per
    // CHECK per wallet UPDATE, measured), and the wallet row is written on every posting.
    await queryRunner.query(`CREATE DOMAIN minor_units_limit AS bigint CONSTRAINT minor_units_limit_check CHECK (VALUE BETWEEN 1 AND 9007199254740991)`);
    await queryRunner.query(`CREATE DOMAIN minor_units_used AS bigint CONSTRAINT minor_units_used_check CHECK (VALUE BETWEEN 0 AND 9007199254740991)`);
    await queryRunner.query(`CREATE DOMAIN sha256_digest AS bytea CONSTRAINT sha256_digest_check CHECK (length(VALUE) = 32)`);
    await queryRunner.query(`
      ALTER TABLE wallets
        ADD COLUMN limit_daily_debit minor_units_limit,
        ADD COLUMN limit_monthly_debit minor_units_limit,
        ADD COLUMN limit_max_balance minor_units_limit,
        ADD COLUMN debit_period date,
        ADD COLUMN debit_day_used minor_units_used NOT NULL DEFAULT 0,
        ADD COLUMN debit_month_used minor_units_used NOT NULL DEFAULT 0,
        ADD COLUMN last_entry_hash sha256_digest,
        -- the day is part of its month (the one rule across columns: a table CHECK)
        ADD CONSTRAINT wallets_debit_day_within_month CHECK (debit_day_used <= debit_month_used)`);
    await queryRunner.query(`ALTER TABLE holds ADD COLUMN debit_counted_on date`);
    await queryRunner.query(`ALTER TABLE entries ADD COLUMN hash sha256_digest`);

    for (const name of CREATED) await queryRunner.query(migrationSql(VERSION, name));

    await queryRunner.query(`ALTER TABLE entries DISABLE TRIGGER entries_append_only`);
    await queryRunner.query(BACKFILL_CHAINS);
    await queryRunner.query(`ALTER TABLE entries ENABLE TRIGGER entries_append_only`);
    await queryRunner.query(`
      UPDATE wallets w SET last_entry_hash = l.hash
        FROM (SELECT DISTINCT ON (wallet_id) wallet_id, hash FROM entries WHERE wallet_id IS NOT NULL ORDER BY wallet_id, id DESC) l
       WHERE l.wallet_id = w.id`);
    // every wallet entry is chained, no system-account entry is
    await queryRunner.query(`ALTER TABLE entries ADD CONSTRAINT entries_hash_for_wallets CHECK ((wallet_id IS NULL) = (hash IS NULL))`);

    await queryRunner.query(`DROP FUNCTION ${OLD_WRITE_LEGS}`);
    await queryRunner.query(migrationSql(VERSION, 'write_legs'));
    for (const name of Object.keys(REPLACED)) await queryRunner.query(migrationSql(VERSION, name));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name, version] of Object.entries(REPLACED)) await queryRunner.query(restoring(migrationSql(version, name)));
    await queryRunner.query(`DROP FUNCTION ${NEW_WRITE_LEGS}`);
    await queryRunner.query(migrationSql('1764300000000', 'write_legs'));
    for (const name of [...CREATED].reverse()) await queryRunner.query(`DROP FUNCTION ${name}`);
    await queryRunner.query(`ALTER TABLE entries DROP CONSTRAINT entries_hash_for_wallets, DROP COLUMN hash`);
    await queryRunner.query(`ALTER TABLE holds DROP COLUMN debit_counted_on`);
    await queryRunner.query(`
      ALTER TABLE wallets
        DROP CONSTRAINT wallets_debit_day_within_month,
        DROP COLUMN last_entry_hash,
        DROP COLUMN debit_month_used,
        DROP COLUMN debit_day_used,
        DROP COLUMN debit_period,
        DROP COLUMN limit_max_balance,
        DROP COLUMN limit_monthly_debit,
        DROP COLUMN limit_daily_debit`);
    for (const domain of ['sha256_digest', 'minor_units_used', 'minor_units_limit']) await queryRunner.query(`DROP DOMAIN ${domain}`);
  }
}

/** An older frozen copy over the current body: the oldest migrations froze plain CREATE FUNCTION statements. */
function restoring(statement: string): string {
  return /^(?:\s*--[^\n]*\n)*\s*CREATE FUNCTION\b/.test(statement) ? replacing(statement) : statement;
}
