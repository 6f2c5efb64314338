-- A deposit, withdrawal or transfer, with the wallets' row locks already held by the caller.
-- A NULL wallet on a side is the currency's world account.
CREATE OR REPLACE FUNCTION apply_movement(p_tenant_id text, p_transaction_id uuid, p_type text, p_debit_wallet_id uuid, p_credit_wallet_id uuid,
                                             p_amount bigint, p_reference text, p_description text, p_metadata jsonb,
                                             p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_debit    wallets%ROWTYPE;
     v_credit   wallets%ROWTYPE;
     v_refusal  jsonb;
     v_currency char(3);
     v_tx       transactions%ROWTYPE;
   BEGIN
     IF p_debit_wallet_id IS NOT NULL THEN SELECT * INTO v_debit FROM wallets WHERE id = p_debit_wallet_id AND tenant_id = p_tenant_id; END IF;
     IF p_credit_wallet_id IS NOT NULL THEN SELECT * INTO v_credit FROM wallets WHERE id = p_credit_wallet_id AND tenant_id = p_tenant_id; END IF;
     -- only a wallet with holds can have due ones; most movements skip the lookup. Releasing them changes held
     -- and the limit usage, so the row is read again.
     IF v_debit.held > 0 THEN
       IF release_due_holds(v_debit.id, p_now) > 0 THEN SELECT * INTO v_debit FROM wallets WHERE id = v_debit.id; END IF;
     END IF;
     v_debit := debit_usage(v_debit, p_now);
     v_refusal := movement_refusal(v_debit, v_credit, p_debit_wallet_id, p_credit_wallet_id, p_amount);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;

     v_currency := coalesce(v_debit.currency, v_credit.currency);
     INSERT INTO transactions (tenant_id, id, type, amount, currency, wallet_id, from_wallet_id, to_wallet_id,
                               reference, description, metadata, created_at)
     VALUES (p_tenant_id, p_transaction_id, p_type, p_amount, v_currency,
             CASE WHEN p_type <> 'transfer' THEN coalesce(v_debit.id, v_credit.id) END,
             CASE WHEN p_type = 'transfer' THEN v_debit.id END,
             CASE WHEN p_type = 'transfer' THEN v_credit.id END,
             p_reference, p_description, coalesce(p_metadata, '{}'), p_now)
     RETURNING * INTO v_tx;
     PERFORM write_legs(v_tx, debit_usage(v_debit, p_now, p_counted => p_amount), 'world', v_credit.id, 'world', 0);
     RETURN jsonb_build_object('outcome', 'posted', 'transaction', transaction_document(p_transaction_id));
   END $$;
