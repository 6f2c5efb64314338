-- The first day of the UTC calendar month a day falls in: the period of a monthly debit limit. Date arithmetic
-- only (date_trunc on a date goes through timestamptz and the session's TimeZone), inlined where it is called.
CREATE OR REPLACE FUNCTION utc_month(p_day date)
 RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_day - (extract(day FROM p_day)::int - 1)
$$;
