import type { MigrationInterface, QueryRunner } from 'typeorm';
import { POST_MOVEMENT_FUNCTION as INITIAL_POST_MOVEMENT_FUNCTION } from './1764070000000-initial-schema.js';

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
    for (const statement of FUNCTIONS) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of [...DROPPED_ON_DOWN].reverse()) await queryRunner.query(`DROP FUNCTION ${name}`);
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
    await queryRunner.query(INITIAL_POST_MOVEMENT_FUNCTION);
  }
}

const DROPPED_ON_DOWN = [
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

export const FUNCTIONS = [
  /* A hold as the API renders it (the service maps the snake_case columns). */
  `CREATE FUNCTION hold_document(p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
     SELECT to_jsonb(h) FROM holds h WHERE h.id = p_id
   $$`,

  /*
   * Claims an Idempotency-Key for this request. NULL: the request owns the key now (or sent none).
   * Otherwise the outcome to answer with: the first request's result, key_reused or in_progress.
   * A concurrent duplicate blocks on the INSERT until the first commits, then replays it.
   */
  `CREATE FUNCTION idempotency_claim(p_scope text, p_key text, p_request_hash text, p_transaction_id uuid)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_claimed idempotency_keys%ROWTYPE;
   BEGIN
     IF p_key IS NULL THEN RETURN NULL; END IF;
     BEGIN
       -- claimed with the transaction already named, so a posted move costs no second write
       INSERT INTO idempotency_keys (scope, key, request_hash, transaction_id)
       VALUES (p_scope, p_key, p_request_hash, p_transaction_id)
       ON CONFLICT DO NOTHING;
     EXCEPTION WHEN lock_not_available THEN
       RETURN jsonb_build_object('outcome', 'in_progress');
     END;
     IF FOUND THEN RETURN NULL; END IF;
     SELECT * INTO v_claimed FROM idempotency_keys WHERE scope = p_scope AND key = p_key;
     IF v_claimed.request_hash <> p_request_hash THEN
       RETURN jsonb_build_object('outcome', 'key_reused');
     END IF;
     -- A replay repeats the first answer: the transaction as it was posted, before any refund of it
     -- (refunded_amount is its only column that changes, and it was 0 then).
     RETURN jsonb_build_object('outcome', 'replay',
       'transaction', CASE WHEN v_claimed.transaction_id IS NOT NULL
                           THEN transaction_document(v_claimed.transaction_id) || '{"refunded_amount": 0}' END,
       'status', v_claimed.response_status, 'body', v_claimed.response_body,
       'code', v_claimed.error_code, 'detail', v_claimed.error_detail);
   END $$`,

  /* Records what a request that owns its key ended with, so a retry gets the same answer; returns it. */
  `CREATE FUNCTION idempotency_settle(p_scope text, p_key text, p_outcome jsonb)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   BEGIN
     IF p_key IS NOT NULL THEN
       IF p_outcome->>'outcome' = 'refused' THEN
         UPDATE idempotency_keys SET transaction_id = NULL, error_code = p_outcome->>'code', error_detail = p_outcome->>'detail'
          WHERE scope = p_scope AND key = p_key;
       ELSIF p_outcome ? 'body' THEN
         UPDATE idempotency_keys SET transaction_id = NULL, response_status = (p_outcome->>'status')::smallint,
                response_body = p_outcome->'body'
          WHERE scope = p_scope AND key = p_key;
       END IF;
     END IF;
     RETURN p_outcome;
   END $$`,

  `CREATE FUNCTION refusal(p_code text, p_detail text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
     SELECT jsonb_build_object('outcome', 'refused', 'code', p_code, 'detail', p_detail)
   $$`,

  /*
   * Marks the due holds of a wallet expired and takes them out of its held amount; returns how much was
   * released. The caller holds the wallet's row lock, which every writer of holds takes first.
   */
  `CREATE FUNCTION release_due_holds(p_wallet_id uuid, p_now timestamptz)
   RETURNS bigint LANGUAGE plpgsql AS $$
   DECLARE
     v_released bigint;
   BEGIN
     WITH due AS (
       UPDATE holds SET status = 'expired', released_at = expires_at
        WHERE wallet_id = p_wallet_id AND status = 'active' AND expires_at <= p_now
       RETURNING amount)
     SELECT coalesce(sum(amount), 0) INTO v_released FROM due;
     IF v_released > 0 THEN
       UPDATE wallets SET held = held - v_released, version = version + 1, updated_at = p_now WHERE id = p_wallet_id;
     END IF;
     RETURN v_released;
   END $$`,

  /*
   * Why money may not move from the debit side to the credit side (NULL when it may): existence,
   * status, currency, funds (held already net of due holds), and the credit side's upper bound.
   */
  `CREATE FUNCTION movement_refusal(p_debit wallets, p_credit wallets, p_debit_wallet_id uuid,
                                    p_credit_wallet_id uuid, p_amount bigint)
   RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
   BEGIN
     IF p_debit_wallet_id IS NOT NULL AND p_debit.id IS NULL THEN
       RETURN refusal('WALLET_NOT_FOUND', format('Wallet %s does not exist.', p_debit_wallet_id));
     ELSIF p_credit_wallet_id IS NOT NULL AND p_credit.id IS NULL THEN
       RETURN refusal('WALLET_NOT_FOUND', format('Wallet %s does not exist.', p_credit_wallet_id));
     ELSIF p_debit.id IS NOT NULL AND p_debit.status <> 'active' THEN
       RETURN refusal('WALLET_NOT_ACTIVE', format('Wallet %s is %s.', p_debit.id, p_debit.status));
     ELSIF p_credit.id IS NOT NULL AND p_credit.status <> 'active' THEN
       RETURN refusal('WALLET_NOT_ACTIVE', format('Wallet %s is %s.', p_credit.id, p_credit.status));
     ELSIF p_debit.id IS NOT NULL AND p_credit.id IS NOT NULL AND p_debit.currency <> p_credit.currency THEN
       RETURN refusal('CURRENCY_MISMATCH', format('Wallet %s holds %s, wallet %s holds %s.',
                      p_debit.id, p_debit.currency, p_credit.id, p_credit.currency));
     ELSIF p_debit.id IS NOT NULL AND p_debit.balance - p_debit.held - p_amount < -p_debit.overdraft_limit THEN
       RETURN refusal('INSUFFICIENT_FUNDS', format('Wallet %s has %s available; %s was requested.',
                      p_debit.id, p_debit.balance - p_debit.held + p_debit.overdraft_limit, p_amount));
     ELSIF p_credit.id IS NOT NULL AND p_credit.balance + p_amount > 9007199254740991 THEN
       RETURN refusal('BALANCE_LIMIT_EXCEEDED',
                      format('Wallet %s cannot hold more than 9007199254740991 minor units.', p_credit.id));
     END IF;
     RETURN NULL;
   END $$`,

  /*
   * The two legs of a posted transaction: new balances and two entries that sum to zero. A NULL wallet
   * posts to the system account named by the side's account prefix ('world' or 'revenue').
   * p_debit_held_release lowers the debit wallet's held amount in the same UPDATE (a capture's hold).
   */
  `CREATE FUNCTION write_legs(p_tenant_id text, p_transaction_id uuid, p_currency char(3), p_debit_wallet_id uuid, p_debit_account text,
                              p_credit_wallet_id uuid, p_credit_account text, p_amount bigint,
                              p_debit_held_release bigint, p_now timestamptz)
   RETURNS void LANGUAGE plpgsql AS $$
   DECLARE
     v_debit_after  bigint;
     v_credit_after bigint;
   BEGIN
     IF p_debit_wallet_id IS NOT NULL THEN
       UPDATE wallets SET balance = balance - p_amount, held = held - p_debit_held_release,
                          version = version + 1, updated_at = p_now
        WHERE id = p_debit_wallet_id RETURNING balance INTO v_debit_after;
     END IF;
     IF p_credit_wallet_id IS NOT NULL THEN
       UPDATE wallets SET balance = balance + p_amount, version = version + 1, updated_at = p_now
        WHERE id = p_credit_wallet_id RETURNING balance INTO v_credit_after;
     END IF;
     INSERT INTO entries (tenant_id, transaction_id, currency, wallet_id, account, amount, balance_after, created_at)
     VALUES (p_tenant_id, p_transaction_id, p_currency, p_debit_wallet_id,
             CASE WHEN p_debit_wallet_id IS NULL THEN p_debit_account || ':' || p_currency END, -p_amount, v_debit_after, p_now),
            (p_tenant_id, p_transaction_id, p_currency, p_credit_wallet_id,
             CASE WHEN p_credit_wallet_id IS NULL THEN p_credit_account || ':' || p_currency END, p_amount, v_credit_after, p_now);
   END $$`,

  /*
   * A deposit, withdrawal or transfer, with the wallets' row locks already held by the caller.
   * A NULL wallet on a side is the currency's world account.
   */
  `CREATE FUNCTION apply_movement(p_tenant_id text, p_transaction_id uuid, p_type text, p_debit_wallet_id uuid, p_credit_wallet_id uuid,
                                  p_amount bigint, p_reference text, p_description text, p_metadata jsonb,
                                  p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_debit    wallets%ROWTYPE;
     v_credit   wallets%ROWTYPE;
     v_refusal  jsonb;
     v_currency char(3);
   BEGIN
     IF p_debit_wallet_id IS NOT NULL THEN SELECT * INTO v_debit FROM wallets WHERE id = p_debit_wallet_id AND tenant_id = p_tenant_id; END IF;
     IF p_credit_wallet_id IS NOT NULL THEN SELECT * INTO v_credit FROM wallets WHERE id = p_credit_wallet_id AND tenant_id = p_tenant_id; END IF;
     -- only a wallet with holds can have due ones; most movements skip the lookup
     IF v_debit.held > 0 THEN v_debit.held := v_debit.held - release_due_holds(v_debit.id, p_now); END IF;
     v_refusal := movement_refusal(v_debit, v_credit, p_debit_wallet_id, p_credit_wallet_id, p_amount);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;

     v_currency := coalesce(v_debit.currency, v_credit.currency);
     INSERT INTO transactions (tenant_id, id, type, amount, currency, wallet_id, from_wallet_id, to_wallet_id,
                               reference, description, metadata, created_at)
     VALUES (p_tenant_id, p_transaction_id, p_type, p_amount, v_currency,
             CASE WHEN p_type <> 'transfer' THEN coalesce(v_debit.id, v_credit.id) END,
             CASE WHEN p_type = 'transfer' THEN v_debit.id END,
             CASE WHEN p_type = 'transfer' THEN v_credit.id END,
             p_reference, p_description, coalesce(p_metadata, '{}'), p_now);
     PERFORM write_legs(p_tenant_id, p_transaction_id, v_currency, v_debit.id, 'world', v_credit.id, 'world', p_amount, 0, p_now);
     RETURN jsonb_build_object('outcome', 'posted', 'transaction', transaction_document(p_transaction_id));
   END $$`,

  /* Reserves money on a wallet whose row lock the caller holds: available drops, balance does not. */
  `CREATE FUNCTION apply_hold(p_tenant_id text, p_hold_id uuid, p_wallet_id uuid, p_amount bigint, p_expires_at timestamptz,
                              p_reference text, p_description text, p_metadata jsonb, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_wallet  wallets%ROWTYPE;
     v_refusal jsonb;
   BEGIN
     SELECT * INTO v_wallet FROM wallets WHERE id = p_wallet_id AND tenant_id = p_tenant_id;
     IF v_wallet.held > 0 THEN v_wallet.held := v_wallet.held - release_due_holds(v_wallet.id, p_now); END IF;
     v_refusal := movement_refusal(v_wallet, NULL, p_wallet_id, NULL, p_amount);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;

     INSERT INTO holds (tenant_id, id, wallet_id, currency, amount, expires_at, reference, description, metadata, created_at)
     VALUES (p_tenant_id, p_hold_id, p_wallet_id, v_wallet.currency, p_amount, p_expires_at, p_reference, p_description,
             coalesce(p_metadata, '{}'), p_now);
     UPDATE wallets SET held = held + p_amount, version = version + 1, updated_at = p_now WHERE id = p_wallet_id;
     RETURN jsonb_build_object('outcome', 'posted', 'status', 201, 'body', hold_document(p_hold_id));
   END $$`,

  /*
   * Captures a hold (all that is left by default) to a wallet or, with none, to the revenue account;
   * what is not captured is released. The caller holds the row locks of the hold's wallet and of the
   * receiving wallet; the hold's own row is locked here, after them, as every writer of holds does.
   */
  `CREATE FUNCTION apply_capture(p_tenant_id text, p_transaction_id uuid, p_hold_id uuid, p_amount bigint, p_to_wallet_id uuid,
                                 p_reference text, p_description text, p_metadata jsonb, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_hold    holds%ROWTYPE;
     v_payer   wallets%ROWTYPE;
     v_payee   wallets%ROWTYPE;
     v_amount  bigint;
     v_refusal jsonb;
   BEGIN
     SELECT * INTO v_hold FROM holds WHERE id = p_hold_id AND tenant_id = p_tenant_id FOR UPDATE;
     IF NOT FOUND THEN RETURN refusal('HOLD_NOT_FOUND', format('Hold %s does not exist.', p_hold_id)); END IF;
     IF v_hold.status = 'active' AND v_hold.expires_at <= p_now THEN
       PERFORM release_due_holds(v_hold.wallet_id, p_now);
       v_hold.status := 'expired';
     END IF;
     IF v_hold.status <> 'active' THEN
       RETURN refusal('HOLD_NOT_ACTIVE', format('Hold %s is %s.', p_hold_id, v_hold.status));
     END IF;
     v_amount := coalesce(p_amount, v_hold.amount);
     IF v_amount > v_hold.amount THEN
       RETURN refusal('AMOUNT_EXCEEDS_HOLD', format('Hold %s reserves %s; %s was requested.', p_hold_id, v_hold.amount, v_amount));
     END IF;
     IF p_to_wallet_id = v_hold.wallet_id THEN
       RETURN refusal('SAME_WALLET', format('Hold %s is on wallet %s; capture it to another wallet or to revenue.', p_hold_id, p_to_wallet_id));
     END IF;

     SELECT * INTO v_payer FROM wallets WHERE id = v_hold.wallet_id;
     IF p_to_wallet_id IS NOT NULL THEN SELECT * INTO v_payee FROM wallets WHERE id = p_to_wallet_id AND tenant_id = p_tenant_id; END IF;
     -- no funds check: the hold already reserved the money, and capturing never lowers available
     v_refusal := movement_refusal(v_payer, v_payee, NULL, p_to_wallet_id, 0);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;
     IF v_payee.id IS NOT NULL AND v_payee.balance + v_amount > 9007199254740991 THEN
       RETURN refusal('BALANCE_LIMIT_EXCEEDED', format('Wallet %s cannot hold more than 9007199254740991 minor units.', v_payee.id));
     END IF;

     INSERT INTO transactions (tenant_id, id, type, amount, currency, from_wallet_id, to_wallet_id, hold_id,
                               reference, description, metadata, created_at)
     VALUES (p_tenant_id, p_transaction_id, 'capture', v_amount, v_hold.currency, v_hold.wallet_id, v_payee.id, p_hold_id,
             coalesce(p_reference, v_hold.reference), coalesce(p_description, v_hold.description),
             coalesce(p_metadata, v_hold.metadata), p_now);
     PERFORM write_legs(p_tenant_id, p_transaction_id, v_hold.currency, v_hold.wallet_id, NULL, v_payee.id, 'revenue',
                        v_amount, v_hold.amount, p_now);
     UPDATE holds SET status = 'captured', captured_amount = v_amount, released_at = p_now WHERE id = p_hold_id;
     RETURN jsonb_build_object('outcome', 'posted', 'transaction', transaction_document(p_transaction_id));
   END $$`,

  /* Releases an active hold; the caller holds its wallet's row lock. */
  `CREATE FUNCTION apply_void(p_tenant_id text, p_hold_id uuid, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_hold holds%ROWTYPE;
   BEGIN
     SELECT * INTO v_hold FROM holds WHERE id = p_hold_id AND tenant_id = p_tenant_id FOR UPDATE;
     IF NOT FOUND THEN RETURN refusal('HOLD_NOT_FOUND', format('Hold %s does not exist.', p_hold_id)); END IF;
     IF v_hold.status = 'active' AND v_hold.expires_at <= p_now THEN
       PERFORM release_due_holds(v_hold.wallet_id, p_now);
       v_hold.status := 'expired';
     END IF;
     IF v_hold.status <> 'active' THEN
       RETURN refusal('HOLD_NOT_ACTIVE', format('Hold %s is %s.', p_hold_id, v_hold.status));
     END IF;
     UPDATE holds SET status = 'voided', released_at = p_now WHERE id = p_hold_id;
     UPDATE wallets SET held = held - v_hold.amount, version = version + 1, updated_at = p_now WHERE id = v_hold.wallet_id;
     RETURN jsonb_build_object('outcome', 'posted', 'status', 200, 'body', hold_document(p_hold_id));
   END $$`,

  /*
   * Moves money back along a deposit, transfer or capture: from whoever received it to whoever paid.
   * The caller holds both wallets' row locks; the original is locked here, after them, and its
   * refunded_amount (bounded by a CHECK) is what keeps concurrent refunds within the original amount.
   */
  `CREATE FUNCTION apply_refund(p_tenant_id text, p_transaction_id uuid, p_original_id uuid, p_amount bigint,
                                p_reference text, p_description text, p_metadata jsonb, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_original      transactions%ROWTYPE;
     v_debit_id      uuid;
     v_credit_id     uuid;
     v_debit_account text := 'world';
     v_debit         wallets%ROWTYPE;
     v_credit        wallets%ROWTYPE;
     v_refundable    bigint;
     v_amount        bigint;
     v_refusal       jsonb;
   BEGIN
     SELECT * INTO v_original FROM transactions WHERE id = p_original_id AND tenant_id = p_tenant_id FOR NO KEY UPDATE;
     IF NOT FOUND THEN
       RETURN refusal('TRANSACTION_NOT_FOUND', format('Transaction %s does not exist.', p_original_id));
     END IF;
     CASE v_original.type
       WHEN 'deposit' THEN v_debit_id := v_original.wallet_id;
       WHEN 'transfer' THEN v_debit_id := v_original.to_wallet_id; v_credit_id := v_original.from_wallet_id;
       WHEN 'capture' THEN
         v_debit_id := v_original.to_wallet_id; v_credit_id := v_original.from_wallet_id; v_debit_account := 'revenue';
       ELSE
         RETURN refusal('TRANSACTION_NOT_REFUNDABLE',
                        format('Transaction %s is a %s; only deposits, transfers and captures are refunded.', p_original_id, v_original.type));
     END CASE;
     v_refundable := v_original.amount - v_original.refunded_amount;
     v_amount := coalesce(p_amount, v_refundable);
     IF v_refundable = 0 OR v_amount > v_refundable THEN
       RETURN refusal('AMOUNT_EXCEEDS_REFUNDABLE', format('Transaction %s has %s left to refund; %s was requested.',
                      p_original_id, v_refundable, v_amount));
     END IF;

     IF v_debit_id IS NOT NULL THEN SELECT * INTO v_debit FROM wallets WHERE id = v_debit_id; END IF;
     IF v_credit_id IS NOT NULL THEN SELECT * INTO v_credit FROM wallets WHERE id = v_credit_id; END IF;
     IF v_debit.held > 0 THEN v_debit.held := v_debit.held - release_due_holds(v_debit.id, p_now); END IF;
     v_refusal := movement_refusal(v_debit, v_credit, v_debit_id, v_credit_id, v_amount);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;

     INSERT INTO transactions (tenant_id, id, type, amount, currency, wallet_id, from_wallet_id, to_wallet_id, refund_of,
                               reference, description, metadata, created_at)
     VALUES (p_tenant_id, p_transaction_id, 'refund', v_amount, v_original.currency,
             CASE WHEN v_original.type = 'deposit' THEN v_debit_id END,
             CASE WHEN v_original.type <> 'deposit' THEN v_debit_id END,
             CASE WHEN v_original.type <> 'deposit' THEN v_credit_id END,
             p_original_id, coalesce(p_reference, v_original.reference), p_description, coalesce(p_metadata, '{}'), p_now);
     PERFORM write_legs(p_tenant_id, p_transaction_id, v_original.currency, v_debit_id, v_debit_account, v_credit_id, 'world',
                        v_amount, 0, p_now);
     UPDATE transactions SET refunded_amount = refunded_amount + v_amount WHERE id = p_original_id;
     RETURN jsonb_build_object('outcome', 'posted', 'transaction', transaction_document(p_transaction_id));
   END $$`,

  /*
   * The entry points the service calls, one statement per request. Each claims the idempotency key,
   * locks every wallet involved with one SELECT … FOR UPDATE in ascending id order, applies the move
   * under those locks and records the outcome with the key. A refusal is a normal return, not an
   * exception, so it commits with its key and a retry gets the same answer.
   */
  `CREATE FUNCTION post_movement(p_tenant_id text, p_transaction_id uuid, p_type text, p_debit_wallet_id uuid, p_credit_wallet_id uuid,
                                 p_amount bigint, p_reference text, p_description text, p_metadata jsonb,
                                 p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := idempotency_claim(p_idem_scope, p_idem_key, p_request_hash, p_transaction_id);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     PERFORM 1 FROM wallets WHERE id IN (p_debit_wallet_id, p_credit_wallet_id) AND tenant_id = p_tenant_id ORDER BY id FOR UPDATE;
     v_outcome := apply_movement(p_tenant_id, p_transaction_id, p_type, p_debit_wallet_id, p_credit_wallet_id, p_amount,
                                 p_reference, p_description, p_metadata, p_now);
     RETURN idempotency_settle(p_idem_scope, p_idem_key, v_outcome);
   END $$`,

  `CREATE FUNCTION place_hold(p_tenant_id text, p_hold_id uuid, p_wallet_id uuid, p_amount bigint, p_expires_at timestamptz,
                              p_reference text, p_description text, p_metadata jsonb,
                              p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := idempotency_claim(p_idem_scope, p_idem_key, p_request_hash, NULL);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     PERFORM 1 FROM wallets WHERE id = p_wallet_id AND tenant_id = p_tenant_id FOR UPDATE;
     v_outcome := apply_hold(p_tenant_id, p_hold_id, p_wallet_id, p_amount, p_expires_at, p_reference, p_description, p_metadata, p_now);
     RETURN idempotency_settle(p_idem_scope, p_idem_key, v_outcome);
   END $$`,

  `CREATE FUNCTION capture_hold(p_tenant_id text, p_transaction_id uuid, p_hold_id uuid, p_amount bigint, p_to_wallet_id uuid,
                                p_reference text, p_description text, p_metadata jsonb,
                                p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := idempotency_claim(p_idem_scope, p_idem_key, p_request_hash, p_transaction_id);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     -- a hold's wallet never changes, so it can be read before locking
     PERFORM 1 FROM wallets
       WHERE id IN ((SELECT wallet_id FROM holds WHERE id = p_hold_id AND tenant_id = p_tenant_id), p_to_wallet_id)
         AND tenant_id = p_tenant_id
       ORDER BY id FOR UPDATE;
     v_outcome := apply_capture(p_tenant_id, p_transaction_id, p_hold_id, p_amount, p_to_wallet_id, p_reference, p_description,
                                p_metadata, p_now);
     RETURN idempotency_settle(p_idem_scope, p_idem_key, v_outcome);
   END $$`,

  `CREATE FUNCTION void_hold(p_tenant_id text, p_hold_id uuid, p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := idempotency_claim(p_idem_scope, p_idem_key, p_request_hash, NULL);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     PERFORM 1 FROM wallets WHERE id = (SELECT wallet_id FROM holds WHERE id = p_hold_id AND tenant_id = p_tenant_id) FOR UPDATE;
     RETURN idempotency_settle(p_idem_scope, p_idem_key, apply_void(p_tenant_id, p_hold_id, p_now));
   END $$`,

  `CREATE FUNCTION refund_transaction(p_tenant_id text, p_transaction_id uuid, p_original_id uuid, p_amount bigint,
                                      p_reference text, p_description text, p_metadata jsonb,
                                      p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := idempotency_claim(p_idem_scope, p_idem_key, p_request_hash, p_transaction_id);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     -- an original's wallets never change, so they can be read before locking
     PERFORM 1 FROM wallets
       WHERE id IN (SELECT unnest(ARRAY[t.wallet_id, t.from_wallet_id, t.to_wallet_id]) FROM transactions t
                     WHERE t.id = p_original_id AND t.tenant_id = p_tenant_id)
       ORDER BY id FOR UPDATE;
     v_outcome := apply_refund(p_tenant_id, p_transaction_id, p_original_id, p_amount, p_reference, p_description, p_metadata, p_now);
     RETURN idempotency_settle(p_idem_scope, p_idem_key, v_outcome);
   END $$`,

  /*
   * Up to 100 operations, all or nothing: every wallet they touch (including the wallets of the holds
   * they capture) is locked once, in id order, before the first is applied. A refusal of any operation
   * rolls back all of them (the inner block is a savepoint) and is answered with the operation's index.
   * Each operation carries the id the service chose for what it creates.
   */
  `CREATE FUNCTION post_batch(p_tenant_id text, p_batch_id uuid, p_operations jsonb,
                              p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
     v_op      jsonb;
     v_index   bigint;
     v_result  jsonb;
     v_results jsonb := '[]';
     v_refusal jsonb;
   BEGIN
     v_outcome := idempotency_claim(p_idem_scope, p_idem_key, p_request_hash, NULL);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     PERFORM 1 FROM wallets WHERE id IN (
         SELECT (op->>field)::uuid FROM jsonb_array_elements(p_operations) op,
                unnest(ARRAY['walletId', 'fromWalletId', 'toWalletId']) field
          WHERE op ? field
         UNION
         SELECT h.wallet_id FROM holds h
          WHERE h.tenant_id = p_tenant_id
            AND h.id IN (SELECT (op->>'holdId')::uuid FROM jsonb_array_elements(p_operations) op WHERE op ? 'holdId'))
       AND tenant_id = p_tenant_id
       ORDER BY id FOR UPDATE;
     BEGIN
       FOR v_op, v_index IN SELECT value, ordinality - 1 FROM jsonb_array_elements(p_operations) WITH ORDINALITY LOOP
         v_result := CASE v_op->>'type'
           WHEN 'deposit' THEN apply_movement(p_tenant_id, (v_op->>'id')::uuid, 'deposit', NULL, (v_op->>'walletId')::uuid,
                                 (v_op->>'amount')::bigint, v_op->>'reference', v_op->>'description', v_op->'metadata', p_now)
           WHEN 'withdrawal' THEN apply_movement(p_tenant_id, (v_op->>'id')::uuid, 'withdrawal', (v_op->>'walletId')::uuid, NULL,
                                 (v_op->>'amount')::bigint, v_op->>'reference', v_op->>'description', v_op->'metadata', p_now)
           WHEN 'transfer' THEN apply_movement(p_tenant_id, (v_op->>'id')::uuid, 'transfer', (v_op->>'fromWalletId')::uuid,
                                 (v_op->>'toWalletId')::uuid, (v_op->>'amount')::bigint, v_op->>'reference',
                                 v_op->>'description', v_op->'metadata', p_now)
           WHEN 'hold' THEN apply_hold(p_tenant_id, (v_op->>'id')::uuid, (v_op->>'walletId')::uuid, (v_op->>'amount')::bigint,
                                 (v_op->>'expiresAt')::timestamptz, v_op->>'reference', v_op->>'description',
                                 v_op->'metadata', p_now)
           WHEN 'capture' THEN apply_capture(p_tenant_id, (v_op->>'id')::uuid, (v_op->>'holdId')::uuid, (v_op->>'amount')::bigint,
                                 (v_op->>'toWalletId')::uuid, v_op->>'reference', v_op->>'description',
                                 v_op->'metadata', p_now)
         END;
         IF v_result IS NULL THEN
           RAISE EXCEPTION 'unknown batch operation type %', v_op->>'type';
         END IF;
         IF v_result->>'outcome' = 'refused' THEN
           v_refusal := v_result || jsonb_build_object('index', v_index);
           RAISE EXCEPTION USING ERRCODE = 'WB001', MESSAGE = 'batch operation refused';
         END IF;
         v_results := v_results || jsonb_build_array(
           jsonb_build_object('type', v_op->>'type') ||
           CASE WHEN v_result ? 'transaction' THEN jsonb_build_object('transaction', v_result->'transaction')
                ELSE jsonb_build_object('hold', v_result->'body') END);
       END LOOP;
     EXCEPTION WHEN SQLSTATE 'WB001' THEN
       RETURN idempotency_settle(p_idem_scope, p_idem_key, refusal(v_refusal->>'code',
         format('operations[%s]: %s', v_refusal->>'index', v_refusal->>'detail')));
     END;
     RETURN idempotency_settle(p_idem_scope, p_idem_key, jsonb_build_object('outcome', 'posted', 'status', 201,
       'body', jsonb_build_object('id', p_batch_id, 'createdAt', p_now, 'operations', v_results)));
   END $$`,
];
