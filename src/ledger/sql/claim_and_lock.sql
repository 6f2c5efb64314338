-- The preamble of the six entry points, stated once. Claims the request's Idempotency-Key (idempotency_claim)
-- and, when the request owns it (or sent none), locks the wallets it touches. NULL: go on, the key is claimed and
-- the row locks are held. Otherwise the answer to return at once (the first request's replay, key_reused or
-- in_progress), with no wallet locked.
-- The claim comes before the locks: a concurrent duplicate waits on the key, not on the wallets, then replays.
-- The wallets are locked with one SELECT … FOR UPDATE in ascending id order, the order every writer takes them
-- in, so two requests on the same wallets queue instead of deadlocking. p_wallet_ids may repeat ids or hold
-- NULLs (a system-account side); an id that is no wallet of the tenant locks nothing and is found missing by the
-- apply_* function after.
CREATE OR REPLACE FUNCTION claim_and_lock(p_tenant_id text, p_wallet_ids uuid[], p_idem_scope text, p_idem_key text,
                                          p_request_hash text, p_transaction_id uuid)
 RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
   BEGIN
     v_outcome := idempotency_claim(p_idem_scope, p_idem_key, p_request_hash, p_transaction_id);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     PERFORM 1 FROM wallets WHERE id = ANY (p_wallet_ids) AND tenant_id = p_tenant_id ORDER BY id FOR UPDATE;
     RETURN NULL;
   END $$;
