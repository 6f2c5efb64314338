import type { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSql } from './sql-file.js';

/** This migration's frozen SQL is in migrations/sql/1764070000000/ (see sql-file.ts). */
const VERSION = '1764070000000';

/**
 * The ledger schema. Every rule the posting engine keeps is also a constraint here, so a bug in the
 * application cannot lose or create money silently:
 * - wallets never go below -overdraft_limit (CHECK), amounts and balances stay safe integers (CHECK);
 * - an entry belongs to exactly one wallet or one system account of its transaction's currency (CHECK, FK);
 * - the entries of a transaction sum to zero (statement trigger) and are never updated or deleted.
 * System accounts ("world" for money entering or leaving, "revenue" for captures) have no balance row:
 * their balance is the sum of their entries, so no single row serialises deposits or captures.
 */
export class InitialSchema1764070000000 implements MigrationInterface {
  name = 'InitialSchema1764070000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE wallets (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id        varchar(128) NOT NULL CHECK (length(owner_id) BETWEEN 1 AND 128),
        currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        status          varchar(6) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
        balance         bigint NOT NULL DEFAULT 0 CHECK (balance BETWEEN -9007199254740991 AND 9007199254740991),
        held            bigint NOT NULL DEFAULT 0 CHECK (held BETWEEN 0 AND 9007199254740991),
        overdraft_limit bigint NOT NULL DEFAULT 0 CHECK (overdraft_limit BETWEEN 0 AND 9007199254740991),
        version         integer NOT NULL DEFAULT 0,
        metadata        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT wallets_owner_currency_key UNIQUE (owner_id, currency),
        -- lets entries and transactions reference (wallet, currency) so no money crosses currencies
        CONSTRAINT wallets_id_currency_key UNIQUE (id, currency),
        CONSTRAINT wallets_available_within_overdraft CHECK (balance - held >= -overdraft_limit),
        CONSTRAINT wallets_closed_is_empty CHECK (status <> 'closed' OR (balance = 0 AND held = 0))
      ) WITH (fillfactor = 80)`);
    // fillfactor leaves room on each page so balance updates are HOT: no index touched per movement.

    await queryRunner.query(`
      CREATE TABLE transactions (
        id             uuid PRIMARY KEY,
        type           varchar(10) NOT NULL CHECK (type IN ('deposit', 'withdrawal', 'transfer', 'capture', 'refund')),
        status         varchar(10) NOT NULL DEFAULT 'posted' CHECK (status IN ('posted')),
        amount         bigint NOT NULL CHECK (amount BETWEEN 1 AND 9007199254740991),
        currency       char(3) NOT NULL,
        wallet_id      uuid,
        from_wallet_id uuid,
        to_wallet_id   uuid,
        hold_id        uuid,
        refund_of      uuid REFERENCES transactions (id),
        reference      varchar(255),
        description    varchar(1000),
        metadata       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
        created_at     timestamptz NOT NULL DEFAULT now(),
        -- The wallet columns here describe the movement; the money is in entries, whose foreign keys to
        -- (wallet, currency) are the ones that guard it. Repeating them here cost two lookups per posting.
        CONSTRAINT transactions_id_currency_key UNIQUE (id, currency),
        CONSTRAINT transactions_transfer_between_two_wallets
          CHECK (type <> 'transfer' OR (from_wallet_id IS NOT NULL AND to_wallet_id IS NOT NULL AND from_wallet_id <> to_wallet_id))
      )`);

    await queryRunner.query(`
      CREATE TABLE entries (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id uuid NOT NULL,
        currency       char(3) NOT NULL,
        wallet_id      uuid,
        account        varchar(16),
        amount         bigint NOT NULL CHECK (amount <> 0 AND amount BETWEEN -9007199254740991 AND 9007199254740991),
        balance_after  bigint,
        created_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT entries_transaction_fk FOREIGN KEY (transaction_id, currency) REFERENCES transactions (id, currency),
        CONSTRAINT entries_wallet_fk FOREIGN KEY (wallet_id, currency) REFERENCES wallets (id, currency),
        CONSTRAINT entries_wallet_xor_account CHECK ((wallet_id IS NULL) <> (account IS NULL)),
        CONSTRAINT entries_balance_after_for_wallets CHECK ((wallet_id IS NULL) = (balance_after IS NULL)),
        CONSTRAINT entries_account_of_currency CHECK (account IN ('world:' || currency, 'revenue:' || currency))
      )`);
    await queryRunner.query(`CREATE INDEX entries_wallet_id_id_idx ON entries (wallet_id, id) WHERE wallet_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX entries_transaction_id_idx ON entries (transaction_id)`);

    await queryRunner.query(migrationSql(VERSION, 'entries_assert_balanced'));
    await queryRunner.query(`
      CREATE TRIGGER entries_sum_to_zero AFTER INSERT ON entries
        REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION entries_assert_balanced()`);
    await queryRunner.query(migrationSql(VERSION, 'ledger_forbid_change'));
    await queryRunner.query(`
      CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change()`);

    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        scope           varchar(64) NOT NULL,
        key             varchar(255) NOT NULL,
        request_hash    char(64) NOT NULL,
        -- set when the key is claimed, checked at commit: the transaction row is written later in the same statement
        transaction_id  uuid REFERENCES transactions (id) DEFERRABLE INITIALLY DEFERRED,
        error_code      varchar(64),
        error_detail    text,
        response_status smallint CHECK (response_status BETWEEN 200 AND 299),
        response_body   jsonb,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key),
        -- at most one outcome: a posted transaction, a refusal, or a stored response (none only while
        -- the claiming transaction is still running; CHECK constraints cannot be deferred to commit)
        CONSTRAINT idempotency_keys_one_outcome CHECK (
          num_nonnulls(transaction_id, error_code, response_status) <= 1
          AND (response_status IS NULL) = (response_body IS NULL)
        )
      )`);
    await queryRunner.query(`CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)`);

    await queryRunner.query(migrationSql(VERSION, 'transaction_document'));
    await queryRunner.query(migrationSql(VERSION, 'post_movement'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION post_movement`);
    await queryRunner.query(`DROP FUNCTION transaction_document`);
    await queryRunner.query(`DROP TABLE idempotency_keys`);
    await queryRunner.query(`DROP TABLE entries`);
    await queryRunner.query(`DROP FUNCTION ledger_forbid_change`);
    await queryRunner.query(`DROP FUNCTION entries_assert_balanced`);
    await queryRunner.query(`DROP TABLE transactions`);
    await queryRunner.query(`DROP TABLE wallets`);
  }
}
