-- What a released hold gives back to its wallet's debit usage: its amount if the period it was counted in
-- (holds.debit_counted_on, a UTC day) is still the wallet's current one — the day itself, or its month when
-- p_whole_month — else 0: that period is over and its usage no longer counts. A hold placed before limits
-- existed (debit_counted_on NULL) was never counted and gives nothing back. The rule for voids, expiry, the
-- rest of a capture, the sweeper and wallet reads, stated once; plain SQL, inlined where it is called.
CREATE OR REPLACE FUNCTION debit_usage_returned(p_period date, p_counted_on date, p_amount bigint, p_whole_month boolean)
 RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_whole_month AND utc_month(p_counted_on) = utc_month(p_period) THEN p_amount
              WHEN NOT p_whole_month AND p_counted_on = p_period THEN p_amount
              ELSE 0 END
$$;
