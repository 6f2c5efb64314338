-- Several money moves in one statement and one transaction (group posting, src/ledger/engine/group-poster.ts):
-- what each transaction pays once — the round trip, the statement, the COMMIT and its WAL flush, and the row
-- lock of a busy wallet — is paid once per group instead of once per move.
-- p_calls is a JSON array of { entry_point, args } (wallets_of_call.sql). First every wallet of every call is
-- locked with one SELECT … FOR UPDATE in ascending id order, as a single move locks its own, so groups queue
-- behind each other instead of deadlocking. Then each call runs in arrival order through its own entry point:
-- it claims its Idempotency-Key (a key that appeared earlier in the same group replays that item's outcome, as
-- a retry would), finds its wallets already locked by this transaction, and answers for itself: a refusal is
-- that item's answer, not the group's. Returns the answers in the order of p_calls. An error in any call fails
-- the whole statement, so a group is never half-posted; the service then posts each of its calls on its own.
-- A group of deposits, withdrawals and transfers only is decided the same way but written set-based
-- (post_movements_together.sql), unless that function declines it. Last, the events of every call that posted
-- are written (record_events.sql), in arrival order.
CREATE OR REPLACE FUNCTION post_group(p_calls jsonb)
 RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_call    jsonb;
     v_a       jsonb;
     v_answers jsonb[] := '{}';
     v_together jsonb;
     v_wallets  wallets[];
   BEGIN
     SELECT coalesce(array_agg(l ORDER BY l.id), '{}') INTO v_wallets
       FROM (SELECT w.* FROM wallets w
               JOIN (SELECT DISTINCT locked.id, c->'args'->>'p_tenant_id' AS tenant_id
                       FROM jsonb_array_elements(p_calls) c, unnest(wallets_of_call(c)) locked(id)) g
                 ON w.id = g.id AND w.tenant_id = g.tenant_id
              ORDER BY w.id FOR UPDATE OF w) l;
     -- deposits, withdrawals and transfers only (the hot path): decided one by one, written set-based
     IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(p_calls) c WHERE c->>'entry_point' <> 'post_movement') THEN
       v_together := post_movements_together(p_calls, v_wallets);
       IF v_together IS NOT NULL THEN
         PERFORM record_events(p_calls, v_together);
         RETURN v_together;
       END IF;
     END IF;
     FOR v_call IN SELECT value FROM jsonb_array_elements(p_calls) LOOP
       v_a := v_call->'args';
       v_answers := v_answers || CASE v_call->>'entry_point'
         WHEN 'post_movement' THEN post_movement(
           p_tenant_id => v_a->>'p_tenant_id', p_transaction_id => (v_a->>'p_transaction_id')::uuid, p_type => v_a->>'p_type',
           p_debit_wallet_id => (v_a->>'p_debit_wallet_id')::uuid, p_credit_wallet_id => (v_a->>'p_credit_wallet_id')::uuid,
           p_amount => (v_a->>'p_amount')::bigint, p_reference => v_a->>'p_reference', p_description => v_a->>'p_description',
           p_metadata => (v_a->>'p_metadata')::jsonb, p_idem_scope => v_a->>'p_idem_scope', p_idem_key => v_a->>'p_idem_key',
           p_request_hash => v_a->>'p_request_hash', p_now => (v_a->>'p_now')::timestamptz)
         WHEN 'place_hold' THEN place_hold(
           p_tenant_id => v_a->>'p_tenant_id', p_hold_id => (v_a->>'p_hold_id')::uuid, p_wallet_id => (v_a->>'p_wallet_id')::uuid,
           p_amount => (v_a->>'p_amount')::bigint, p_expires_at => (v_a->>'p_expires_at')::timestamptz,
           p_reference => v_a->>'p_reference', p_description => v_a->>'p_description', p_metadata => (v_a->>'p_metadata')::jsonb,
           p_idem_scope => v_a->>'p_idem_scope', p_idem_key => v_a->>'p_idem_key', p_request_hash => v_a->>'p_request_hash',
           p_now => (v_a->>'p_now')::timestamptz)
         WHEN 'capture_hold' THEN capture_hold(
           p_tenant_id => v_a->>'p_tenant_id', p_transaction_id => (v_a->>'p_transaction_id')::uuid,
           p_hold_id => (v_a->>'p_hold_id')::uuid, p_amount => (v_a->>'p_amount')::bigint,
           p_to_wallet_id => (v_a->>'p_to_wallet_id')::uuid, p_reference => v_a->>'p_reference',
           p_description => v_a->>'p_description', p_metadata => (v_a->>'p_metadata')::jsonb,
           p_idem_scope => v_a->>'p_idem_scope', p_idem_key => v_a->>'p_idem_key', p_request_hash => v_a->>'p_request_hash',
           p_now => (v_a->>'p_now')::timestamptz)
         WHEN 'void_hold' THEN void_hold(
           p_tenant_id => v_a->>'p_tenant_id', p_hold_id => (v_a->>'p_hold_id')::uuid,
           p_idem_scope => v_a->>'p_idem_scope', p_idem_key => v_a->>'p_idem_key', p_request_hash => v_a->>'p_request_hash',
           p_now => (v_a->>'p_now')::timestamptz)
         WHEN 'refund_transaction' THEN refund_transaction(
           p_tenant_id => v_a->>'p_tenant_id', p_transaction_id => (v_a->>'p_transaction_id')::uuid,
           p_original_id => (v_a->>'p_original_id')::uuid, p_amount => (v_a->>'p_amount')::bigint,
           p_reference => v_a->>'p_reference', p_description => v_a->>'p_description', p_metadata => (v_a->>'p_metadata')::jsonb,
           p_idem_scope => v_a->>'p_idem_scope', p_idem_key => v_a->>'p_idem_key', p_request_hash => v_a->>'p_request_hash',
           p_now => (v_a->>'p_now')::timestamptz)
         WHEN 'post_conversion' THEN post_conversion(
           p_tenant_id => v_a->>'p_tenant_id', p_transaction_id => (v_a->>'p_transaction_id')::uuid,
           p_quote_id => (v_a->>'p_quote_id')::uuid, p_from_wallet_id => (v_a->>'p_from_wallet_id')::uuid,
           p_to_wallet_id => (v_a->>'p_to_wallet_id')::uuid, p_reference => v_a->>'p_reference',
           p_description => v_a->>'p_description', p_metadata => (v_a->>'p_metadata')::jsonb,
           p_idem_scope => v_a->>'p_idem_scope', p_idem_key => v_a->>'p_idem_key', p_request_hash => v_a->>'p_request_hash',
           p_now => (v_a->>'p_now')::timestamptz)
         WHEN 'post_batch' THEN post_batch(
           p_tenant_id => v_a->>'p_tenant_id', p_batch_id => (v_a->>'p_batch_id')::uuid,
           p_operations => (v_a->>'p_operations')::jsonb,
           p_idem_scope => v_a->>'p_idem_scope', p_idem_key => v_a->>'p_idem_key', p_request_hash => v_a->>'p_request_hash',
           p_now => (v_a->>'p_now')::timestamptz)
       END;
       IF v_answers[cardinality(v_answers)] IS NULL THEN
         RAISE EXCEPTION 'post_group: unknown entry point %', v_call->>'entry_point';
       END IF;
     END LOOP;
     PERFORM record_events(p_calls, to_jsonb(v_answers));
     RETURN to_jsonb(v_answers);
   END $$;
