import type { MigrationInterface, QueryRunner } from 'typeorm';
import { FUNCTIONS as HOLDS_AND_REFUNDS_FUNCTIONS } from './1764200000000-holds-and-refunds.js';

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
    await queryRunner.query(WRITE_LEGS_IN_LEDGER_ORDER);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(previousWriteLegs());
    await queryRunner.query(`ALTER TABLE wallets DROP COLUMN last_entry_at`);
  }
}

function previousWriteLegs(): string {
  const definition = HOLDS_AND_REFUNDS_FUNCTIONS.find((statement) => statement.includes('CREATE FUNCTION write_legs('));
  if (!definition) throw new Error('write_legs is missing from the holds-and-refunds migration');
  return definition.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION');
}

/**
 * The two legs of a posted transaction: new balances and two entries that sum to zero. A NULL wallet
 * posts to the system account named by the side's account prefix ('world' or 'revenue').
 * p_debit_held_release lowers the debit wallet's held amount in the same UPDATE (a capture's hold).
 * A wallet's entry is stamped greatest(p_now, its previous entry's stamp); greatest() ignores the NULL of
 * a wallet without entries.
 */
const WRITE_LEGS_IN_LEDGER_ORDER = `
  CREATE OR REPLACE FUNCTION write_legs(p_tenant_id text, p_transaction_id uuid, p_currency char(3), p_debit_wallet_id uuid,
                                        p_debit_account text, p_credit_wallet_id uuid, p_credit_account text, p_amount bigint,
                                        p_debit_held_release bigint, p_now timestamptz)
   RETURNS void LANGUAGE plpgsql AS $$
   DECLARE
     v_debit_after  bigint;
     v_credit_after bigint;
     v_debit_at     timestamptz := p_now;
     v_credit_at    timestamptz := p_now;
   BEGIN
     IF p_debit_wallet_id IS NOT NULL THEN
       UPDATE wallets SET balance = balance - p_amount, held = held - p_debit_held_release,
                          version = version + 1, updated_at = p_now, last_entry_at = greatest(last_entry_at, p_now)
        WHERE id = p_debit_wallet_id RETURNING balance, last_entry_at INTO v_debit_after, v_debit_at;
     END IF;
     IF p_credit_wallet_id IS NOT NULL THEN
       UPDATE wallets SET balance = balance + p_amount, version = version + 1, updated_at = p_now,
                          last_entry_at = greatest(last_entry_at, p_now)
        WHERE id = p_credit_wallet_id RETURNING balance, last_entry_at INTO v_credit_after, v_credit_at;
     END IF;
     INSERT INTO entries (tenant_id, transaction_id, currency, wallet_id, account, amount, balance_after, created_at)
     VALUES (p_tenant_id, p_transaction_id, p_currency, p_debit_wallet_id,
             CASE WHEN p_debit_wallet_id IS NULL THEN p_debit_account || ':' || p_currency END, -p_amount, v_debit_after, v_debit_at),
            (p_tenant_id, p_transaction_id, p_currency, p_credit_wallet_id,
             CASE WHEN p_credit_wallet_id IS NULL THEN p_credit_account || ':' || p_currency END, p_amount, v_credit_after, v_credit_at);
   END $$`;
