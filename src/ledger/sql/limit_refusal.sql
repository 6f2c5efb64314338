-- Why p_amount may not leave p_debit or reach p_credit under their limits (NULL when it may), checked under the
-- wallets' row locks in the same statement as funds, so concurrent moves can never pass a limit together.
-- p_debit's usage must already be in the move's period (debit_usage(wallet, p_now)): dailyDebit and
-- monthlyDebit bound its usage plus p_amount; with no limit set, usage is still bounded by the largest amount
-- the service keeps, so it always fits its column. maxBalance bounds p_credit's balance plus p_amount. A limit
-- lowered below what is already used refuses every later debit; an amount of 0 (a capture, whose hold already
-- counted) is never refused here.
CREATE OR REPLACE FUNCTION limit_refusal(p_debit wallets, p_credit wallets, p_amount bigint)
 RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
   DECLARE
     v_iso constant text := 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';
   BEGIN
     IF p_amount > 0 AND p_debit.id IS NOT NULL THEN
       IF p_debit.debit_day_used + p_amount > coalesce(p_debit.limit_daily_debit, 9007199254740991) THEN
         RETURN refusal('LIMIT_EXCEEDED', format(
           'Wallet %s cannot pay %s: its dailyDebit limit is %s and %s is used today (UTC); the limit resets at %s.',
           p_debit.id, p_amount, coalesce(p_debit.limit_daily_debit::text, 'the largest amount the service keeps, 9007199254740991,'),
           p_debit.debit_day_used, to_char((p_debit.debit_period + 1)::timestamp, v_iso)));
       END IF;
       IF p_debit.debit_month_used + p_amount > coalesce(p_debit.limit_monthly_debit, 9007199254740991) THEN
         RETURN refusal('LIMIT_EXCEEDED', format(
           'Wallet %s cannot pay %s: its monthlyDebit limit is %s and %s is used this month (UTC); the limit resets at %s.',
           p_debit.id, p_amount, coalesce(p_debit.limit_monthly_debit::text, 'the largest amount the service keeps, 9007199254740991,'),
           p_debit.debit_month_used, to_char(utc_month(p_debit.debit_period)::timestamp + interval '1 month', v_iso)));
       END IF;
     END IF;
     IF p_amount > 0 AND p_credit.id IS NOT NULL AND p_credit.balance + p_amount > p_credit.limit_max_balance THEN
       RETURN refusal('LIMIT_EXCEEDED', format(
         'Wallet %s cannot receive %s: its maxBalance limit is %s and its balance is %s; maxBalance does not reset.',
         p_credit.id, p_amount, p_credit.limit_max_balance, p_credit.balance));
     END IF;
     RETURN NULL;
   END $$;
