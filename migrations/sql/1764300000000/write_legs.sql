-- The two legs of a posted transaction: new balances and two entries that sum to zero. A NULL wallet
-- posts to the system account named by the side's account prefix ('world' or 'revenue').
-- p_debit_held_release lowers the debit wallet's held amount in the same UPDATE (a capture's hold).
-- A wallet's entry is stamped greatest(p_now, its previous entry's stamp); greatest() ignores the NULL of
-- a wallet without entries.
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
   END $$;
