-- An entry point (see post_movement.sql): releases a hold (apply_void) under its wallet's lock.
CREATE OR REPLACE FUNCTION void_hold(p_tenant_id text, p_hold_id uuid, p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := claim_and_lock(p_tenant_id, ARRAY[wallet_of_hold(p_tenant_id, p_hold_id)],
                                 p_idem_scope, p_idem_key, p_request_hash, NULL);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     RETURN idempotency_settle(p_idem_scope, p_idem_key, apply_void(p_tenant_id, p_hold_id, p_now));
   END $$;
