-- An entry point the service calls, one statement per request (as are place_hold, capture_hold,
-- void_hold, refund_transaction and post_batch). Each names the wallets it touches, claims the idempotency
-- key and locks those wallets in ascending id order (claim_and_lock), applies the move under those locks and
-- records the outcome with the key (idempotency_settle). A refusal is a normal return, not an exception, so it
-- commits with its key and a retry gets the same answer. This one: a deposit, withdrawal or transfer
-- (apply_movement).
CREATE OR REPLACE FUNCTION post_movement(p_tenant_id text, p_transaction_id uuid, p_type text, p_debit_wallet_id uuid, p_credit_wallet_id uuid,
                                            p_amount bigint, p_reference text, p_description text, p_metadata jsonb,
                                            p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := claim_and_lock(p_tenant_id, ARRAY[p_debit_wallet_id, p_credit_wallet_id],
                                 p_idem_scope, p_idem_key, p_request_hash, p_transaction_id);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     v_outcome := apply_movement(p_tenant_id, p_transaction_id, p_type, p_debit_wallet_id, p_credit_wallet_id, p_amount,
                                 p_reference, p_description, p_metadata, p_now);
     RETURN idempotency_settle(p_idem_scope, p_idem_key, v_outcome);
   END $$;
