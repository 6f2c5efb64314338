-- The posting engine's one statement. A movement takes money from a debit side and gives it to a
-- credit side; a NULL wallet on either side is the currency's "world" account (money entering or
-- leaving). In one round trip it:
--   1. claims the idempotency key (a concurrent duplicate blocks here until the first commits, then replays);
--   2. locks every wallet involved with one SELECT … FOR UPDATE in ascending id order;
--   3. checks existence, status, currency and funds under those locks;
--   4. writes the transaction, the new balances and two entries that sum to zero.
-- A refusal is a normal return, not an exception, so the refusal commits with its idempotency record
-- and a retry with the same key gets the same answer.
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
END $$;
