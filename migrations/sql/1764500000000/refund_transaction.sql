-- An entry point (see post_movement.sql): refunds a deposit, transfer or capture (apply_refund), under
-- the locks of the original's wallets.
CREATE OR REPLACE FUNCTION refund_transaction(p_tenant_id text, p_transaction_id uuid, p_original_id uuid, p_amount bigint,
                                                 p_reference text, p_description text, p_metadata jsonb,
                                                 p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := claim_and_lock(p_tenant_id, wallets_of_transaction(p_tenant_id, p_original_id),
                                 p_idem_scope, p_idem_key, p_request_hash, p_transaction_id);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     v_outcome := apply_refund(p_tenant_id, p_transaction_id, p_original_id, p_amount, p_reference, p_description, p_metadata, p_now);
     RETURN idempotency_settle(p_idem_scope, p_idem_key, v_outcome);
   END $$;
