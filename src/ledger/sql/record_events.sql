-- Writes the events of a statement's posted calls, in the statement itself, so an event commits exactly when
-- its change does. p_calls are { entry_point, args } as post_group takes them (args.p_tenant_id, args.p_now),
-- p_answers their outcomes in the same order.
-- Each tenant's events are numbered from its row in event_counters, which this takes last of all the rows the
-- transaction locks (wallets come first) and holds until COMMIT: the next transaction of the tenant to write
-- events waits for that commit before it numbers its own, so `sequence` increases in commit order, and a
-- reader that pages with after=<the last sequence it saw> never misses an event (an earlier-begun transaction
-- that commits later is numbered later). It is taken once per tenant per statement, however many moves a
-- group has: the events are gathered in arrays first, then numbered and written with one INSERT.
-- A deposit, withdrawal, transfer, refund or conversion (one transaction, no hold) is read straight from its outcome; anything else
-- goes through outcome_events.
CREATE OR REPLACE FUNCTION record_events(p_calls jsonb, p_answers jsonb)
 RETURNS void LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome  jsonb;
     v_t        jsonb;
     v_tenant   text;
     v_last     bigint;
     r          record;
     e_tenant   text[] := '{}';
     e_type     text[] := '{}';
     e_tx       uuid[] := '{}';
     e_data     jsonb[] := '{}';
     e_wallet   uuid[] := '{}';
     e_other    uuid[] := '{}';
     e_at       timestamptz[] := '{}';
   BEGIN
     FOR i IN 0 .. jsonb_array_length(p_answers) - 1 LOOP
       v_outcome := p_answers->i;
       CONTINUE WHEN v_outcome->>'outcome' IS DISTINCT FROM 'posted';
       IF p_calls->i->>'entry_point' IN ('post_movement', 'refund_transaction', 'post_conversion') THEN
         v_t := v_outcome->'transaction';
         e_tenant := e_tenant || (p_calls->i->'args'->>'p_tenant_id');
         e_type := e_type || 'transaction.posted'::text;
         e_tx := e_tx || (v_t->>'id')::uuid;
         e_data := e_data || NULL::jsonb;
         e_wallet := e_wallet || coalesce(v_t->>'wallet_id', v_t->>'from_wallet_id')::uuid;
         e_other := e_other || (v_t->>'to_wallet_id')::uuid;
         e_at := e_at || (p_calls->i->'args'->>'p_now')::timestamptz;
       ELSE
         FOR r IN SELECT * FROM outcome_events(p_calls->i->>'entry_point', v_outcome) o ORDER BY o.ord LOOP
           e_tenant := e_tenant || (p_calls->i->'args'->>'p_tenant_id');
           e_type := e_type || r.type;
           e_tx := e_tx || r.transaction_id;
           e_data := e_data || r.data;
           e_wallet := e_wallet || r.wallet_id;
           e_other := e_other || r.other_wallet_id;
           e_at := e_at || (p_calls->i->'args'->>'p_now')::timestamptz;
         END LOOP;
       END IF;
     END LOOP;
     -- tenants in a fixed order, so two groups of the same tenants take their counters in the same order
     FOR v_tenant IN SELECT DISTINCT t FROM unnest(e_tenant) t ORDER BY t LOOP
       INSERT INTO event_counters AS k (tenant_id, last_sequence)
       VALUES (v_tenant, (SELECT count(*) FROM unnest(e_tenant) t WHERE t = v_tenant))
       ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = k.last_sequence + EXCLUDED.last_sequence
       RETURNING k.last_sequence INTO v_last;
       INSERT INTO events (tenant_id, sequence, id, type, created_at, wallet_id, other_wallet_id, transaction_id, data)
       SELECT v_tenant, v_last - count(*) OVER () + row_number() OVER (ORDER BY e.n), gen_random_uuid(), e.type, e.at,
              e.wallet, e.other, e.tx, e.data
         FROM unnest(e_tenant, e_type, e_tx, e_data, e_wallet, e_other, e_at) WITH ORDINALITY
                e(tenant, type, tx, data, wallet, other, at, n)
        WHERE e.tenant = v_tenant;
     END LOOP;
   END $$;
