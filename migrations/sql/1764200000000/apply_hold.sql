-- Reserves money on a wallet whose row lock the caller holds: available drops, balance does not.
CREATE FUNCTION apply_hold(p_tenant_id text, p_hold_id uuid, p_wallet_id uuid, p_amount bigint, p_expires_at timestamptz,
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
   END $$;
