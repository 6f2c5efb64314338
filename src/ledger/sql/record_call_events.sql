-- How the service sends one call on its own: `SELECT record_call_events('post_movement', $tenant, $now,
-- post_movement(…))` — the call's events are written in the same statement, after the call, and its outcome
-- is returned unchanged. (post_group records the events of its calls itself.) A lone deposit, withdrawal,
-- transfer, refund or conversion — most calls — is one event, written here with two statements: the tenant's counter
-- (taken last, held to COMMIT: see record_events.sql) and the event.
CREATE OR REPLACE FUNCTION record_call_events(p_entry_point text, p_tenant_id text, p_now timestamptz, p_outcome jsonb)
 RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_t    jsonb;
     v_last bigint;
   BEGIN
     IF p_outcome->>'outcome' IS DISTINCT FROM 'posted' THEN RETURN p_outcome; END IF;
     IF p_entry_point IN ('post_movement', 'refund_transaction', 'post_conversion') THEN
       v_t := p_outcome->'transaction';
       INSERT INTO event_counters AS k (tenant_id, last_sequence) VALUES (p_tenant_id, 1)
       ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = k.last_sequence + 1
       RETURNING k.last_sequence INTO v_last;
       INSERT INTO events (tenant_id, sequence, id, type, created_at, wallet_id, other_wallet_id, transaction_id)
       VALUES (p_tenant_id, v_last, gen_random_uuid(), 'transaction.posted', p_now,
               coalesce(v_t->>'wallet_id', v_t->>'from_wallet_id')::uuid, (v_t->>'to_wallet_id')::uuid, (v_t->>'id')::uuid);
     ELSE
       PERFORM record_events(
         jsonb_build_array(jsonb_build_object('entry_point', p_entry_point,
                                              'args', jsonb_build_object('p_tenant_id', p_tenant_id, 'p_now', p_now))),
         jsonb_build_array(p_outcome));
     END IF;
     RETURN p_outcome;
   END $$;
