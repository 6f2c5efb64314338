-- One event of a change that no posting call reports (a wallet created or changed, a hold expired): called by
-- the deferred triggers of wallet_event.sql and hold_expired_event.sql, that is at COMMIT, after everything else
-- the transaction locks, so the tenant's event_counters row is held only for the commit, as record_events does.
CREATE OR REPLACE FUNCTION append_event(p_tenant_id text, p_type text, p_created_at timestamptz, p_wallet_id uuid, p_data jsonb)
 RETURNS void LANGUAGE plpgsql AS $$
   BEGIN
  WITH counted AS (
    INSERT INTO event_counters AS k (tenant_id, last_sequence) VALUES (p_tenant_id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = k.last_sequence + 1
    RETURNING k.last_sequence)
  INSERT INTO events (tenant_id, sequence, id, type, created_at, wallet_id, data)
  SELECT p_tenant_id, counted.last_sequence, gen_random_uuid(), p_type, p_created_at, p_wallet_id, p_data FROM counted;
   END $$;
