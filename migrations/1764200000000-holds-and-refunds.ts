import type { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSql } from './sql-file.js';

/** This migration's frozen SQL is in migrations/sql/1764200000000/ (see sql-file.ts). */
const VERSION = '1764200000000';

/**
 * Holds (money reserved for an order), captures and refunds, tenants and stored API keys, and the
 * posting engine rebuilt from small SQL functions so that single moves and atomic batches share one set
 * of checks. Every function takes the caller's tenant and sees only that tenant's rows: another
 * tenant's wallet, hold or transaction is "not found", exactly like an unknown id.
 *
 * Rules kept by the schema:
 * - a hold belongs to one wallet of its currency (FK), is captured at most once (partial UNIQUE on
 *   transactions.hold_id), never captures more than it reserved, and stops counting once it has ended;
 * - `wallets.held` is the sum of the wallet's `active` holds; a hold past `expires_at` that nobody has
 *   visited yet is still `active` in the table but every read and funds check treats it as expired, and
 *   the first writer to lock its wallet (or the sweeper) marks it so;
 * - refunds point at their original (`refund_of`), and the original's `refunded_amount` never exceeds
 *   its amount (CHECK), so concurrent refunds cannot over-refund.
 *
 * Every function takes the time as `p_now` from the service's clock, so expiry can be tested without
 * sleeping; all timestamps a movement writes come from that one value.
 */
export class HoldsAndRefunds1764200000000 implements MigrationInterface {
  name = 'HoldsAndRefunds1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Tenants. Every row that holds or moves money belongs to one; the composite keys below make it as
    // impossible for money to cross tenants as it is for it to cross currencies. Rows that exist get
    // 'default', the tenant of the single-tenant API_KEYS shorthand; new rows must name theirs.
    await queryRunner.query(`
      ALTER TABLE wallets
        ADD COLUMN tenant_id varchar(64) NOT NULL DEFAULT 'default'
          CONSTRAINT wallets_tenant_id_check CHECK (tenant_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
        DROP CONSTRAINT wallets_owner_currency_key,
        ADD CONSTRAINT wallets_tenant_owner_currency_key UNIQUE (tenant_id, owner_id, currency),
        ADD CONSTRAINT wallets_id_tenant_currency_key UNIQUE (id, tenant_id, currency)`);
    await queryRunner.query(`
      ALTER TABLE transactions
        ADD COLUMN tenant_id varchar(64) NOT NULL DEFAULT 'default',
        ADD CONSTRAINT transactions_id_tenant_currency_key UNIQUE (id, tenant_id, currency)`);
    await queryRunner.query(`ALTER TABLE entries ADD COLUMN tenant_id varchar(64) NOT NULL DEFAULT 'default'`);
    await queryRunner.query(`
      ALTER TABLE entries
        DROP CONSTRAINT entries_transaction_fk,
        DROP CONSTRAINT entries_wallet_fk,
        ADD CONSTRAINT entries_transaction_fk FOREIGN KEY (transaction_id, tenant_id, currency)
          REFERENCES transactions (id, tenant_id, currency),
        ADD CONSTRAINT entries_wallet_fk FOREIGN KEY (wallet_id, tenant_id, currency) REFERENCES wallets (id, tenant_id, currency)`);
    await queryRunner.query(`
      ALTER TABLE transactions
        DROP CONSTRAINT transactions_refund_of_fkey,
        DROP CONSTRAINT transactions_id_currency_key,
        -- a refund is in its original's tenant and currency
        ADD CONSTRAINT transactions_refund_of_fk FOREIGN KEY (refund_of, tenant_id, currency)
          REFERENCES transactions (id, tenant_id, currency)`);
    await queryRunner.query(`ALTER TABLE wallets DROP CONSTRAINT wallets_id_currency_key`);
    for (const table of ['wallets', 'transactions', 'entries']) {
      await queryRunner.query(`ALTER TABLE ${table} ALTER COLUMN tenant_id DROP DEFAULT`);
    }
    // Idempotency keys are scoped per tenant and API key: "<tenant>/<key name>".
    await queryRunner.query(`ALTER TABLE idempotency_keys ALTER COLUMN scope TYPE varchar(129)`);

    // API keys kept in the database (besides API_KEYS): only a SHA-256 of the secret is stored. Secrets
    // are 256 random bits, so a plain digest cannot be reversed or guessed, and lookups are one index probe.
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id            uuid PRIMARY KEY,
        tenant_id     varchar(64) NOT NULL CHECK (tenant_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
        name          varchar(64) NOT NULL CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
        scopes        text[] NOT NULL
          CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY['wallets:read', 'wallets:write', 'admin']),
        secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32),
        created_at    timestamptz NOT NULL DEFAULT now(),
        revoked_at    timestamptz,
        CONSTRAINT api_keys_secret_sha256_key UNIQUE (secret_sha256),
        CONSTRAINT api_keys_tenant_name_key UNIQUE (tenant_id, name)
      )`);

    await queryRunner.query(`
      CREATE TABLE holds (
        id              uuid PRIMARY KEY,
        tenant_id       varchar(64) NOT NULL,
        wallet_id       uuid NOT NULL,
        currency        char(3) NOT NULL,
        amount          bigint NOT NULL CHECK (amount BETWEEN 1 AND 9007199254740991),
        captured_amount bigint NOT NULL DEFAULT 0,
        status          varchar(8) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'captured', 'voided', 'expired')),
        expires_at      timestamptz,
        reference       varchar(255),
        description     varchar(1000),
        metadata        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
        created_at      timestamptz NOT NULL DEFAULT now(),
        -- when the hold stopped counting in held: captured or voided at, or its expires_at
        released_at     timestamptz,
        CONSTRAINT holds_wallet_fk FOREIGN KEY (wallet_id, tenant_id, currency) REFERENCES wallets (id, tenant_id, currency),
        CONSTRAINT holds_id_tenant_currency_key UNIQUE (id, tenant_id, currency),
        CONSTRAINT holds_captured_within_amount
          CHECK (captured_amount BETWEEN 0 AND amount AND (status = 'captured') = (captured_amount > 0)),
        CONSTRAINT holds_released_when_ended CHECK ((status = 'active') = (released_at IS NULL)),
        CONSTRAINT holds_expired_at_expiry CHECK (status <> 'expired' OR released_at = expires_at),
        CONSTRAINT holds_expiry_after_creation CHECK (expires_at > created_at)
      )`);
    // Funds checks and wallet reads look for a wallet's due holds; the sweeper for everyone's.
    await queryRunner.query(`CREATE INDEX holds_active_wallet_expiry_idx ON holds (wallet_id, expires_at) WHERE status = 'active'`);
    await queryRunner.query(`CREATE INDEX holds_active_expiry_idx ON holds (expires_at) WHERE status = 'active'`);
    await queryRunner.query(`CREATE INDEX holds_wallet_id_id_idx ON holds (wallet_id, id)`);

    await queryRunner.query(`
      ALTER TABLE transactions
        ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0,
        ADD CONSTRAINT transactions_refunded_within_amount CHECK (refunded_amount BETWEEN 0 AND amount),
        ADD CONSTRAINT transactions_only_originals_refunded
          CHECK (refunded_amount = 0 OR type IN ('deposit', 'transfer', 'capture')),
        ADD CONSTRAINT transactions_capture_of_hold
          CHECK ((type = 'capture') = (hold_id IS NOT NULL) AND (type <> 'capture' OR from_wallet_id IS NOT NULL)),
        ADD CONSTRAINT transactions_refund_of_original CHECK ((type = 'refund') = (refund_of IS NOT NULL)),
        -- a capture is in its hold's tenant and currency
        ADD CONSTRAINT transactions_hold_fk FOREIGN KEY (hold_id, tenant_id, currency) REFERENCES holds (id, tenant_id, currency)`);
    // partial: only captures carry a hold, so other postings insert nothing into this index
    await queryRunner.query(`CREATE UNIQUE INDEX transactions_one_capture_per_hold ON transactions (hold_id) WHERE hold_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX transactions_refund_of_idx ON transactions (refund_of) WHERE refund_of IS NOT NULL`);

    await queryRunner.query(`DROP FUNCTION post_movement(uuid, text, uuid, uuid, bigint, text, text, jsonb, text, text, text)`);
    for (const name of FUNCTIONS) await queryRunner.query(migrationSql(VERSION, name));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of [...FUNCTIONS].reverse()) await queryRunner.query(`DROP FUNCTION ${name}`);
    await queryRunner.query(`DROP INDEX transactions_refund_of_idx`);
    await queryRunner.query(`DROP INDEX transactions_one_capture_per_hold`);
    await queryRunner.query(`
      ALTER TABLE transactions
        DROP CONSTRAINT transactions_hold_fk,
        DROP CONSTRAINT transactions_refund_of_original,
        DROP CONSTRAINT transactions_capture_of_hold,
        DROP CONSTRAINT transactions_only_originals_refunded,
        DROP CONSTRAINT transactions_refunded_within_amount,
        DROP COLUMN refunded_amount`);
    await queryRunner.query(`DROP TABLE holds`);
    await queryRunner.query(`DROP TABLE api_keys`);
    await queryRunner.query(`ALTER TABLE idempotency_keys ALTER COLUMN scope TYPE varchar(64)`);
    await queryRunner.query(`ALTER TABLE wallets ADD CONSTRAINT wallets_id_currency_key UNIQUE (id, currency)`);
    await queryRunner.query(`
      ALTER TABLE transactions
        ADD CONSTRAINT transactions_id_currency_key UNIQUE (id, currency),
        DROP CONSTRAINT transactions_refund_of_fk,
        ADD CONSTRAINT transactions_refund_of_fkey FOREIGN KEY (refund_of) REFERENCES transactions (id)`);
    await queryRunner.query(`
      ALTER TABLE entries
        DROP CONSTRAINT entries_transaction_fk,
        DROP CONSTRAINT entries_wallet_fk,
        ADD CONSTRAINT entries_transaction_fk FOREIGN KEY (transaction_id, currency) REFERENCES transactions (id, currency),
        ADD CONSTRAINT entries_wallet_fk FOREIGN KEY (wallet_id, currency) REFERENCES wallets (id, currency),
        DROP COLUMN tenant_id`);
    await queryRunner.query(`ALTER TABLE transactions DROP CONSTRAINT transactions_id_tenant_currency_key, DROP COLUMN tenant_id`);
    await queryRunner.query(`
      ALTER TABLE wallets
        DROP CONSTRAINT wallets_id_tenant_currency_key,
        DROP CONSTRAINT wallets_tenant_owner_currency_key,
        ADD CONSTRAINT wallets_owner_currency_key UNIQUE (owner_id, currency),
        DROP COLUMN tenant_id`);
    // the single-tenant post_movement this migration dropped, as the initial schema created it
    await queryRunner.query(migrationSql('1764070000000', 'post_movement'));
  }
}

/**
 * The posting engine's functions, created in this order (each from its frozen file) and dropped in reverse.
 * The first ones are the building blocks; the last six are the entry points the service calls, one
 * statement per request.
 */
const FUNCTIONS = [
  'hold_document',
  'idempotency_claim',
  'idempotency_settle',
  'refusal',
  'release_due_holds',
  'movement_refusal',
  'write_legs',
  'apply_movement',
  'apply_hold',
  'apply_capture',
  'apply_void',
  'apply_refund',
  'post_movement',
  'place_hold',
  'capture_hold',
  'void_hold',
  'refund_transaction',
  'post_batch',
];
