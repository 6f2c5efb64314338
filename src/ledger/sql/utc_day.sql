-- The UTC calendar day a moment falls on: the period of a daily debit limit. Plain SQL, IMMUTABLE (the zone is
-- named, so the session's TimeZone plays no part), inlined where it is called.
CREATE OR REPLACE FUNCTION utc_day(p_at timestamptz)
 RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (p_at AT TIME ZONE 'UTC')::date
$$;
