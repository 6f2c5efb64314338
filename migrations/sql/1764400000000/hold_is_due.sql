-- The due-hold rule, stated once: an active hold whose expiry has come (expires_at at or before p_at) no longer
-- counts, whether or not anybody has marked it expired yet. The first writer to lock its wallet (or the sweeper)
-- marks it so; until then every read and funds check must treat it as expired. NULL, not false, for a hold
-- without expiry, exactly as the literal predicate: not due in a WHERE, an IF or a CASE.
-- Plain SQL, IMMUTABLE, not STRICT and without SET, so that PostgreSQL inlines it into the statement that calls
-- it: `WHERE hold_is_due(status, expires_at, $1)` plans as the literal predicate and can use the partial indexes
-- on holds WHERE status = 'active' (test/integration/ledger-sql.spec.ts checks that it does).
CREATE OR REPLACE FUNCTION hold_is_due(p_status text, p_expires_at timestamptz, p_at timestamptz)
 RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_status = 'active' AND p_expires_at <= p_at
$$;
