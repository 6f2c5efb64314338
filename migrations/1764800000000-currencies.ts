import type { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSql, replacing } from './sql-file.js';

/** This migration's frozen SQL is in migrations/sql/1764800000000/ (see sql-file.ts). */
const VERSION = '1764800000000';

/** New here, created in this order (post_conversion calls apply_conversion) and dropped in reverse. */
const CREATED = ['apply_conversion', 'post_conversion'];

/**
 * Several currencies: exchange rates set by an operator, FX quotes with a time limit, and conversions between
 * wallets of different currencies.
 *
 * - `fx_rates`: every rate an operator set for a pair of a tenant, never changed; the newest row of a pair is its
 *   current rate. numeric, bounded to 12 digits before and after the point.
 * - `fx_quotes`: `amount` of one currency converts into `converted_amount` of another until `expires_at` (at most
 *   600 s after it was made). The service computes converted_amount in BigInt; the CHECK fx_quotes_converted_exactly
 *   recomputes it on numeric (floor(amount × rate × 10^(to_exponent − from_exponent))), so a wrong figure cannot be
 *   stored.
 * - A conversion is a transaction of type 'conversion' in its source currency (`currency`, `amount`) that also
 *   carries `to_currency`, `converted_amount`, `rate` and `quote_id`; the foreign key transactions_quote_fk makes
 *   all of them its quote's, and the partial UNIQUE index transactions_one_conversion_per_quote lets a quote be used
 *   once. Its four entries go through the system accounts `fx:<FROM>` and `fx:<TO>`.
 * - An entry's currency is now its transaction's currency or, for a conversion, its to_currency. A foreign key
 *   cannot say "one of two", so entries_transaction_fk now only says that the transaction exists, and the statement
 *   trigger entries_sum_to_zero checks the tenant and the currency of every entry it sees, and that the entries sum
 *   to zero in each currency on its own (it summed across currencies, which one currency per transaction made the
 *   same thing).
 * - post_group dispatches the new entry point post_conversion, and wallets_of_call names its two wallets.
 * - transaction_document writes a conversion's rate as a string (numeric, up to 24 digits: a JSON number would
 *   reach JavaScript as a binary float).
 *
 * The new CHECK and foreign key on entries and transactions are validated against the rows there, one scan of each
 * table under this migration's lock. down() fails while a conversion exists: its entries break the old foreign key.
 */
export class Currencies1764800000000 implements MigrationInterface {
  name = 'Currencies1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE fx_rates (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id     varchar(64) NOT NULL CONSTRAINT fx_rates_tenant_id_check CHECK (tenant_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
        from_currency char(3) NOT NULL CONSTRAINT fx_rates_from_currency_check CHECK (from_currency ~ '^[A-Z]{3}$'),
        to_currency   char(3) NOT NULL CONSTRAINT fx_rates_to_currency_check CHECK (to_currency ~ '^[A-Z]{3}$'),
        rate          numeric NOT NULL,
        set_by        varchar(64) NOT NULL,
        created_at    timestamptz NOT NULL,
        CONSTRAINT fx_rates_two_currencies CHECK (from_currency <> to_currency),
        CONSTRAINT fx_rates_rate_bounds CHECK (rate > 0 AND rate < 1000000000000 AND scale(rate) <= 12)
      )`);
    // the current rate of a pair: its newest row, found by walking this index backwards
    await queryRunner.query(`CREATE INDEX fx_rates_pair_idx ON fx_rates (tenant_id, from_currency, to_currency, id)`);

    await queryRunner.query(`
      CREATE TABLE fx_quotes (
        id               uuid PRIMARY KEY,
        tenant_id        varchar(64) NOT NULL CONSTRAINT fx_quotes_tenant_id_check CHECK (tenant_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
        from_currency    char(3) NOT NULL CONSTRAINT fx_quotes_from_currency_check CHECK (from_currency ~ '^[A-Z]{3}$'),
        to_currency      char(3) NOT NULL CONSTRAINT fx_quotes_to_currency_check CHECK (to_currency ~ '^[A-Z]{3}$'),
        amount           bigint NOT NULL CONSTRAINT fx_quotes_amount_check CHECK (amount BETWEEN 1 AND 9007199254740991),
        converted_amount bigint NOT NULL
          CONSTRAINT fx_quotes_converted_amount_check CHECK (converted_amount BETWEEN 1 AND 9007199254740991),
        rate             numeric NOT NULL,
        from_exponent    smallint NOT NULL CONSTRAINT fx_quotes_from_exponent_check CHECK (from_exponent BETWEEN 0 AND 4),
        to_exponent      smallint NOT NULL CONSTRAINT fx_quotes_to_exponent_check CHECK (to_exponent BETWEEN 0 AND 4),
        expires_at       timestamptz NOT NULL,
        created_at       timestamptz NOT NULL,
        CONSTRAINT fx_quotes_two_currencies CHECK (from_currency <> to_currency),
        CONSTRAINT fx_quotes_rate_bounds CHECK (rate > 0 AND rate < 1000000000000 AND scale(rate) <= 12),
        CONSTRAINT fx_quotes_converted_exactly
          CHECK (converted_amount = floor(amount * rate * power(10::numeric, to_exponent - from_exponent))),
        CONSTRAINT fx_quotes_lifetime CHECK (expires_at > created_at AND expires_at <= created_at + interval '600 seconds'),
        -- what transactions_quote_fk references: a conversion's figures are its quote's
        CONSTRAINT fx_quotes_conversion_key UNIQUE (id, tenant_id, from_currency, to_currency, amount, converted_amount, rate)
      )`);

    await queryRunner.query(`
      ALTER TABLE transactions
        ADD COLUMN quote_id uuid,
        ADD COLUMN to_currency char(3),
        ADD COLUMN converted_amount bigint,
        ADD COLUMN rate numeric,
        DROP CONSTRAINT transactions_type_check,
        ADD CONSTRAINT transactions_type_check
          CHECK (type IN ('deposit', 'withdrawal', 'transfer', 'capture', 'refund', 'conversion')),
        ADD CONSTRAINT transactions_conversion_of_quote CHECK (
          (type = 'conversion') = (quote_id IS NOT NULL) AND (quote_id IS NULL) = (to_currency IS NULL)
          AND (quote_id IS NULL) = (converted_amount IS NULL) AND (quote_id IS NULL) = (rate IS NULL)
          AND (type <> 'conversion' OR (wallet_id IS NULL AND from_wallet_id IS NOT NULL AND to_wallet_id IS NOT NULL
                                        AND from_wallet_id <> to_wallet_id))),
        ADD CONSTRAINT transactions_quote_fk FOREIGN KEY (quote_id, tenant_id, currency, to_currency, amount, converted_amount, rate)
          REFERENCES fx_quotes (id, tenant_id, from_currency, to_currency, amount, converted_amount, rate)`);
    // partial, as transactions_one_capture_per_hold: only conversions carry a quote
    await queryRunner.query(
      `CREATE UNIQUE INDEX transactions_one_conversion_per_quote ON transactions (quote_id) WHERE quote_id IS NOT NULL`,
    );

    await queryRunner.query(`
      ALTER TABLE entries
        DROP CONSTRAINT entries_account_of_currency,
        ADD CONSTRAINT entries_account_of_currency CHECK (account IN ('world:' || currency, 'revenue:' || currency, 'fx:' || currency)),
        DROP CONSTRAINT entries_transaction_fk,
        ADD CONSTRAINT entries_transaction_fk FOREIGN KEY (transaction_id) REFERENCES transactions (id)`);

    await queryRunner.query(migrationSql(VERSION, 'entries_assert_balanced'));
    await queryRunner.query(migrationSql(VERSION, 'transaction_document'));
    for (const name of CREATED) await queryRunner.query(migrationSql(VERSION, name));
    await queryRunner.query(migrationSql(VERSION, 'wallets_of_call'));
    await queryRunner.query(migrationSql(VERSION, 'post_group'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The events and group-posting copies are already CREATE OR REPLACE statements; the initial schema's trigger function is not.
    await queryRunner.query(migrationSql('1764600000000', 'post_group'));
    await queryRunner.query(migrationSql('1764500000000', 'wallets_of_call'));
    for (const name of [...CREATED].reverse()) await queryRunner.query(`DROP FUNCTION ${name}`);
    await queryRunner.query(migrationSql('1764700000000', 'transaction_document'));
    await queryRunner.query(replacing(migrationSql('1764070000000', 'entries_assert_balanced')));

    await queryRunner.query(`
      ALTER TABLE entries
        DROP CONSTRAINT entries_transaction_fk,
        ADD CONSTRAINT entries_transaction_fk FOREIGN KEY (transaction_id, tenant_id, currency)
          REFERENCES transactions (id, tenant_id, currency),
        DROP CONSTRAINT entries_account_of_currency,
        ADD CONSTRAINT entries_account_of_currency CHECK (account IN ('world:' || currency, 'revenue:' || currency))`);
    await queryRunner.query(`DROP INDEX transactions_one_conversion_per_quote`);
    await queryRunner.query(`
      ALTER TABLE transactions
        DROP CONSTRAINT transactions_quote_fk,
        DROP CONSTRAINT transactions_conversion_of_quote,
        DROP CONSTRAINT transactions_type_check,
        ADD CONSTRAINT transactions_type_check CHECK (type IN ('deposit', 'withdrawal', 'transfer', 'capture', 'refund')),
        DROP COLUMN rate,
        DROP COLUMN converted_amount,
        DROP COLUMN to_currency,
        DROP COLUMN quote_id`);
    await queryRunner.query(`DROP TABLE fx_quotes`);
    await queryRunner.query(`DROP TABLE fx_rates`);
  }
}
