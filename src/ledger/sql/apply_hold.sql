-- Reserves money on a wallet whose row lock the caller holds: available drops, balance does not. The hold
-- counts against the wallet's debit limits from now on, in the period it is placed in (debit_counted_on).
CREATE OR REPLACE FUNCTION apply_hold(p_tenant_id text, p_hold_id uuid, p_wallet_id uuid, p_amount bigint, p_expires_at timestamptz,
                                         p_reference text, p_description text, p_metadata jsonb, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_wallet  wallets%ROWTYPE;
     v_refusal jsonb;
   BEGIN
     SELECT * INTO v_wallet FROM wallets WHERE id = p_wallet_id AND tenant_id = p_tenant_id;
     IF v_wallet.held > 0 THEN
       IF release_due_holds(v_wallet.id, p_now) > 0 THEN SELECT * INTO v_wallet FROM wallets WHERE id = v_wallet.id; END IF;
     END IF;
     v_wallet := debit_usage(v_wallet, p_now);
     v_refusal := movement_refusal(v_wallet, NULL, p_wallet_id, NULL, p_amount);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;

     v_wallet := debit_usage(v_wallet, p_now, p_counted => p_amount);
     INSERT INTO holds (tenant_id, id, wallet_id, currency, amount, expires_at, reference, description, metadata, created_at,
                        debit_counted_on)
     VALUES (p_tenant_id, p_hold_id, p_wallet_id, v_wallet.currency, p_amount, p_expires_at, p_reference, p_description,
             coalesce(p_metadata, '{}'), p_now, v_wallet.debit_period);
     UPDATE wallets SET held = held + p_amount, version = version + 1, updated_at = p_now, debit_period = v_wallet.debit_period,
                        debit_day_used = v_wallet.debit_day_used, debit_month_used = v_wallet.debit_month_used
      WHERE id = p_wallet_id;
     RETURN jsonb_build_object('outcome', 'posted', 'status', 201, 'body', hold_document(p_hold_id));
   END $$;
