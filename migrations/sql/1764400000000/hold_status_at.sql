-- The status a reader sees at p_at: 'expired' for a due hold (hold_is_due) that nobody has marked yet, else the
-- stored status. For the service's read queries (a hold, a wallet's holds, a status filter); inlined like
-- hold_is_due.
CREATE OR REPLACE FUNCTION hold_status_at(p_status text, p_expires_at timestamptz, p_at timestamptz)
 RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN hold_is_due(p_status, p_expires_at, p_at) THEN 'expired' ELSE p_status END
$$;
