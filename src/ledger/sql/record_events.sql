-- Writes the events of a statement's posted calls, in the statement itself, so an event commits exactly when
-- its change does. p_calls are { entry_point, args } as post_group takes them (args.p_tenant_id, args.p_now),
-- p_answers their outcomes in the same order.
-- Each tenant's events are numbered from its row in event_counters, which this takes last of all the rows the
-- transaction locks (wallets come first) and holds until COMMIT: the next transaction of the tenant to write
-- events waits for that commit before it numbers its own, so `sequence` increases in commit order, and a
-- reader that pages with after=<the last sequence it saw> never misses an event (an earlier-begun transaction
-- that commits later is numbered later). It is taken once per statement, however many moves a group has.
CREATE OR REPLACE FUNCTION record_events(p_calls jsonb, p_answers jsonb)
 RETURNS void LANGUAGE plpgsql AS $$
   BEGIN
  WITH produced AS MATERIALIZED (
    SELECT c.value->'args'->>'p_tenant_id' AS tenant_id, (c.value->'args'->>'p_now')::timestamptz AS created_at,
           c.n, o.ord, o.type, o.transaction_id, o.data, o.wallet_ids
      FROM jsonb_array_elements(p_calls) WITH ORDINALITY c(value, n),
           LATERAL outcome_events(c.value->>'entry_point', p_answers->(c.n::int - 1)) o),
  numbered AS (
    SELECT p.*, row_number() OVER (PARTITION BY p.tenant_id ORDER BY p.n, p.ord) AS rn,
           count(*) OVER (PARTITION BY p.tenant_id) AS total
      FROM produced p),
  counted AS (
    INSERT INTO event_counters AS k (tenant_id, last_sequence)
    SELECT tenant_id, count(*) FROM produced GROUP BY tenant_id ORDER BY tenant_id
    ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = k.last_sequence + EXCLUDED.last_sequence
    RETURNING k.tenant_id, k.last_sequence)
  INSERT INTO events (tenant_id, sequence, id, type, created_at, wallet_ids, transaction_id, data)
  SELECT n.tenant_id, k.last_sequence - n.total + n.rn, gen_random_uuid(), n.type, n.created_at, n.wallet_ids,
         n.transaction_id, n.data
    FROM numbered n JOIN counted k USING (tenant_id);
   END $$;
