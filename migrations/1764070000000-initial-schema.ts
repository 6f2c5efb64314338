import type { MigrationInterface, QueryRunner } from 'typeorm';

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

    await queryRunner.query(`
      CREATE FUNCTION entries_assert_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- One index lookup per transaction touched; LATERAL keeps that plan even before entries has statistics.
        IF EXISTS (
          SELECT 1 FROM (SELECT DISTINCT transaction_id FROM new_entries) touched
           CROSS JOIN LATERAL (SELECT sum(e.amount) AS total FROM entries e WHERE e.transaction_id = touched.transaction_id) sums
           WHERE sums.total <> 0
        ) THEN
          RAISE EXCEPTION 'the entries of a transaction must sum to zero' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'entries_sum_to_zero';
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER entries_sum_to_zero AFTER INSERT ON entries
        REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION entries_assert_balanced()`);
    await queryRunner.query(`
      CREATE FUNCTION ledger_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
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

    await queryRunner.query(TRANSACTION_DOCUMENT_FUNCTION);
    await queryRunner.query(POST_MOVEMENT_FUNCTION);
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

/**
 * A transaction with its entries as one JSON document: the single source of what the API returns for a
 * transaction, whether just posted, replayed, fetched or listed.
 */
const TRANSACTION_DOCUMENT_FUNCTION = `
CREATE FUNCTION transaction_document(p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT to_jsonb(t) || jsonb_build_object('entries', (
           SELECT jsonb_agg(jsonb_build_object('wallet_id', e.wallet_id, 'account', e.account,
                                               'amount', e.amount, 'balance_after', e.balance_after) ORDER BY e.id)
             FROM entries e WHERE e.transaction_id = t.id))
    FROM transactions t WHERE t.id = p_id
$$`;

/**
 * The posting engine's one statement. A movement takes money from a debit side and gives it to a
 * credit side; a NULL wallet on either side is the currency's "world" account (money entering or
 * leaving). In one round trip it:
 *   1. claims the idempotency key (a concurrent duplicate blocks here until the first commits, then replays);
 *   2. locks every wallet involved with one SELECT … FOR UPDATE in ascending id order;
 *   3. checks existence, status, currency and funds under those locks;
 *   4. writes the transaction, the new balances and two entries that sum to zero.
 * A refusal is a normal return, not an exception, so the refusal commits with its idempotency record
 * and a retry with the same key gets the same answer.
 */
export const POST_MOVEMENT_FUNCTION = `
CREATE FUNCTION post_movement(
  p_transaction_id  uuid,
  p_type            text,
  p_debit_wallet_id uuid,
  p_credit_wallet_id uuid,
  p_amount          bigint,
  p_reference       text,
  p_description     text,
  p_metadata        jsonb,
  p_idem_scope      text,
  p_idem_key        text,
  p_request_hash    text
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_row          wallets%ROWTYPE;
  v_debit        wallets%ROWTYPE;
  v_credit       wallets%ROWTYPE;
  v_claimed      idempotency_keys%ROWTYPE;
  v_tx_id        uuid := p_transaction_id;
  v_now          timestamptz := date_trunc('milliseconds', now());
  v_currency     char(3);
  v_debit_after  bigint;
  v_credit_after bigint;
  v_code         text;
  v_detail       text;
BEGIN
  IF p_idem_key IS NOT NULL THEN
    BEGIN
      -- claimed with the outcome already named, so success costs no second write
      INSERT INTO idempotency_keys (scope, key, request_hash, transaction_id)
      VALUES (p_idem_scope, p_idem_key, p_request_hash, v_tx_id)
      ON CONFLICT DO NOTHING;
    EXCEPTION WHEN lock_not_available THEN
      -- the first request with this key is still running past lock_timeout
      RETURN jsonb_build_object('outcome', 'in_progress');
    END;
    IF NOT FOUND THEN
      SELECT * INTO v_claimed FROM idempotency_keys WHERE scope = p_idem_scope AND key = p_idem_key;
      IF v_claimed.request_hash <> p_request_hash THEN
        RETURN jsonb_build_object('outcome', 'key_reused');
      END IF;
      RETURN jsonb_build_object('outcome', 'replay', 'transaction', transaction_document(v_claimed.transaction_id),
                                'code', v_claimed.error_code, 'detail', v_claimed.error_detail);
    END IF;
  END IF;

  FOR v_row IN
    SELECT * FROM wallets WHERE id IN (p_debit_wallet_id, p_credit_wallet_id) ORDER BY id FOR UPDATE
  LOOP
    IF v_row.id = p_debit_wallet_id THEN v_debit := v_row; ELSE v_credit := v_row; END IF;
  END LOOP;

  IF p_debit_wallet_id IS NOT NULL AND v_debit.id IS NULL THEN
    v_code := 'WALLET_NOT_FOUND'; v_detail := format('Wallet %s does not exist.', p_debit_wallet_id);
  ELSIF p_credit_wallet_id IS NOT NULL AND v_credit.id IS NULL THEN
    v_code := 'WALLET_NOT_FOUND'; v_detail := format('Wallet %s does not exist.', p_credit_wallet_id);
  ELSIF v_debit.id IS NOT NULL AND v_debit.status <> 'active' THEN
    v_code := 'WALLET_NOT_ACTIVE'; v_detail := format('Wallet %s is %s.', v_debit.id, v_debit.status);
  ELSIF v_credit.id IS NOT NULL AND v_credit.status <> 'active' THEN
    v_code := 'WALLET_NOT_ACTIVE'; v_detail := format('Wallet %s is %s.', v_credit.id, v_credit.status);
  ELSIF v_debit.id IS NOT NULL AND v_credit.id IS NOT NULL AND v_debit.currency <> v_credit.currency THEN
    v_code := 'CURRENCY_MISMATCH';
    v_detail := format('Wallet %s holds %s, wallet %s holds %s.', v_debit.id, v_debit.currency, v_credit.id, v_credit.currency);
  ELSIF v_debit.id IS NOT NULL AND v_debit.balance - v_debit.held - p_amount < -v_debit.overdraft_limit THEN
    v_code := 'INSUFFICIENT_FUNDS';
    v_detail := format('Wallet %s has %s available; %s was requested.', v_debit.id,
                       v_debit.balance - v_debit.held + v_debit.overdraft_limit, p_amount);
  ELSIF v_credit.id IS NOT NULL AND v_credit.balance + p_amount > 9007199254740991 THEN
    v_code := 'BALANCE_LIMIT_EXCEEDED';
    v_detail := format('Wallet %s cannot hold more than 9007199254740991 minor units.', v_credit.id);
  END IF;

  IF v_code IS NOT NULL THEN
    IF p_idem_key IS NOT NULL THEN
      UPDATE idempotency_keys SET transaction_id = NULL, error_code = v_code, error_detail = v_detail
       WHERE scope = p_idem_scope AND key = p_idem_key;
    END IF;
    RETURN jsonb_build_object('outcome', 'refused', 'code', v_code, 'detail', v_detail);
  END IF;

  v_currency := coalesce(v_debit.currency, v_credit.currency);
  INSERT INTO transactions (id, type, amount, currency, wallet_id, from_wallet_id, to_wallet_id,
                            reference, description, metadata, created_at)
  VALUES (v_tx_id, p_type, p_amount, v_currency,
          CASE WHEN p_type <> 'transfer' THEN coalesce(v_debit.id, v_credit.id) END,
          CASE WHEN p_type = 'transfer' THEN v_debit.id END,
          CASE WHEN p_type = 'transfer' THEN v_credit.id END,
          p_reference, p_description, coalesce(p_metadata, '{}'), v_now);

  IF v_debit.id IS NOT NULL THEN
    UPDATE wallets SET balance = balance - p_amount, version = version + 1, updated_at = v_now
     WHERE id = v_debit.id RETURNING balance INTO v_debit_after;
  END IF;
  IF v_credit.id IS NOT NULL THEN
    UPDATE wallets SET balance = balance + p_amount, version = version + 1, updated_at = v_now
     WHERE id = v_credit.id RETURNING balance INTO v_credit_after;
  END IF;

  INSERT INTO entries (transaction_id, currency, wallet_id, account, amount, balance_after, created_at)
  VALUES (v_tx_id, v_currency, v_debit.id, CASE WHEN v_debit.id IS NULL THEN 'world:' || v_currency END,
          -p_amount, v_debit_after, v_now),
         (v_tx_id, v_currency, v_credit.id, CASE WHEN v_credit.id IS NULL THEN 'world:' || v_currency END,
          p_amount, v_credit_after, v_now);

  RETURN jsonb_build_object('outcome', 'posted', 'transaction', transaction_document(v_tx_id));
END $$`;
