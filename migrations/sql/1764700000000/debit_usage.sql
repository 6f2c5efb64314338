-- A wallet's debit usage (wallets.debit_period, debit_day_used, debit_month_used) as a move at p_now finds it and
-- leaves it, in memory: the caller holds the wallet's row lock and writes the result in the UPDATE that moves
-- the balance, so usage costs no statement and no row version of its own.
--   * The period is the later of the stored one and p_now's UTC day: a new day starts the day's usage at zero, a
--     new month the month's as well, without any job. A move that read the clock before midnight but got the
--     lock after another that read it after midnight counts in the later day (never in a period already over).
--   * p_counted: the debit this move adds (a withdrawal, a transfer out, a refund paid back, a hold placed).
--   * p_returned, counted on p_returned_on: what a hold gives back when it ends (debit_usage_returned).
-- With the defaults it only rolls the period forward: what a limit check must compare with.
CREATE OR REPLACE FUNCTION debit_usage(p_wallet wallets, p_now timestamptz, p_counted bigint DEFAULT 0,
                                       p_returned bigint DEFAULT 0, p_returned_on date DEFAULT NULL)
 RETURNS wallets LANGUAGE plpgsql IMMUTABLE AS $$
   DECLARE
     v_day date := utc_day(p_now);
   BEGIN
     IF p_wallet.id IS NULL THEN RETURN p_wallet; END IF;
     IF p_wallet.debit_period IS NULL OR p_wallet.debit_period < v_day THEN
       IF p_wallet.debit_period IS NULL OR utc_month(p_wallet.debit_period) < utc_month(v_day) THEN
         p_wallet.debit_month_used := 0;
       END IF;
       p_wallet.debit_day_used := 0;
       p_wallet.debit_period := v_day;
     END IF;
     p_wallet.debit_day_used := p_wallet.debit_day_used + p_counted
                                - debit_usage_returned(p_wallet.debit_period, p_returned_on, p_returned, false);
     p_wallet.debit_month_used := p_wallet.debit_month_used + p_counted
                                  - debit_usage_returned(p_wallet.debit_period, p_returned_on, p_returned, true);
     RETURN p_wallet;
   END $$;
