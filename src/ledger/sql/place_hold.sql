-- An entry point (see post_movement.sql): reserves money on one wallet for an order (apply_hold).
CREATE OR REPLACE FUNCTION place_hold(p_tenant_id text, p_hold_id uuid, p_wallet_id uuid, p_amount bigint, p_expires_at timestamptz,
                                         p_reference text, p_description text, p_metadata jsonb,
                                         p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := claim_and_lock(p_tenant_id, ARRAY[p_wallet_id], p_idem_scope, p_idem_key, p_request_hash, NULL);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     v_outcome := apply_hold(p_tenant_id, p_hold_id, p_wallet_id, p_amount, p_expires_at, p_reference, p_description, p_metadata, p_now);
     RETURN idempotency_settle(p_idem_scope, p_idem_key, v_outcome);
   END $$;
