-- An entry point (see post_movement.sql): converts money between two wallets of different currencies at an FX
-- quote's amounts (apply_conversion), under the locks of both wallets.
CREATE OR REPLACE FUNCTION post_conversion(p_tenant_id text, p_transaction_id uuid, p_quote_id uuid, p_from_wallet_id uuid,
                                           p_to_wallet_id uuid, p_reference text, p_description text, p_metadata jsonb,
                                           p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := claim_and_lock(p_tenant_id, ARRAY[p_from_wallet_id, p_to_wallet_id],
                                 p_idem_scope, p_idem_key, p_request_hash, p_transaction_id);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     v_outcome := apply_conversion(p_tenant_id, p_transaction_id, p_quote_id, p_from_wallet_id, p_to_wallet_id,
                                   p_reference, p_description, p_metadata, p_now);
     RETURN idempotency_settle(p_idem_scope, p_idem_key, v_outcome);
   END $$;
