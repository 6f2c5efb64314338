-- The two legs of a posted transaction: new balances and two entries that sum to zero. p_transaction is the
-- transaction row as its INSERT … RETURNING gave it (amount, time, and what the entries' hashes cover).
-- p_debit is the paying wallet as the caller read it under its row lock, with its limit usage already as this
-- move leaves it (debit_usage); a NULL wallet on a side (p_debit.id, p_credit_wallet_id) posts to the system
-- account named by the side's account prefix ('world' or 'revenue').
-- p_debit_held_release lowers the debit wallet's held amount in the same UPDATE (a capture's hold).
-- A wallet's entry is stamped greatest(the move's time, its previous entry's stamp); greatest() ignores the
-- NULL of a wallet without entries. Its hash chains from the wallet's last one (entry_hash), computed in the
-- same UPDATE from the row's values before it, so balance, stamp, usage and chain cost one row version.
CREATE OR REPLACE FUNCTION write_legs(p_transaction transactions, p_debit wallets, p_debit_account text, p_credit_wallet_id uuid,
                                      p_credit_account text, p_debit_held_release bigint)
   RETURNS void LANGUAGE plpgsql AS $$
   DECLARE
     v_now          timestamptz := p_transaction.created_at;
     v_amount       bigint := p_transaction.amount;
     v_currency     char(3) := p_transaction.currency;
     v_content      text := transaction_hash_text(p_transaction.id, p_transaction.type, p_transaction.reference,
                                                  p_transaction.description, p_transaction.metadata);
     v_debit_after  bigint;
     v_credit_after bigint;
     v_debit_at     timestamptz := v_now;
     v_credit_at    timestamptz := v_now;
     v_debit_hash   bytea;
     v_credit_hash  bytea;
   BEGIN
     IF p_debit.id IS NOT NULL THEN
       UPDATE wallets SET balance = balance - v_amount, held = held - p_debit_held_release,
                          version = version + 1, updated_at = v_now, last_entry_at = greatest(last_entry_at, v_now),
                          last_entry_hash = entry_hash(last_entry_hash, id, -v_amount, balance - v_amount,
                                                       greatest(last_entry_at, v_now), v_content),
                          debit_period = p_debit.debit_period, debit_day_used = p_debit.debit_day_used,
                          debit_month_used = p_debit.debit_month_used
        WHERE id = p_debit.id RETURNING balance, last_entry_at, last_entry_hash INTO v_debit_after, v_debit_at, v_debit_hash;
     END IF;
     IF p_credit_wallet_id IS NOT NULL THEN
       UPDATE wallets SET balance = balance + v_amount, version = version + 1, updated_at = v_now,
                          last_entry_at = greatest(last_entry_at, v_now),
                          last_entry_hash = entry_hash(last_entry_hash, id, v_amount, balance + v_amount,
                                                       greatest(last_entry_at, v_now), v_content)
        WHERE id = p_credit_wallet_id RETURNING balance, last_entry_at, last_entry_hash INTO v_credit_after, v_credit_at, v_credit_hash;
     END IF;
     INSERT INTO entries (tenant_id, transaction_id, currency, wallet_id, account, amount, balance_after, created_at, hash)
     VALUES (p_transaction.tenant_id, p_transaction.id, v_currency, p_debit.id,
             CASE WHEN p_debit.id IS NULL THEN p_debit_account || ':' || v_currency END, -v_amount, v_debit_after, v_debit_at,
             v_debit_hash),
            (p_transaction.tenant_id, p_transaction.id, v_currency, p_credit_wallet_id,
             CASE WHEN p_credit_wallet_id IS NULL THEN p_credit_account || ':' || v_currency END, v_amount, v_credit_after,
             v_credit_at, v_credit_hash);
   END $$;
