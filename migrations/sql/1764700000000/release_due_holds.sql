-- Marks the due holds of a wallet expired and takes them out of its held amount and, for those counted in its
-- current period, out of its debit usage (debit_usage_returned); returns how much was released. The caller
-- holds the wallet's row lock, which every writer of holds takes first.
-- hold_is_due inlines here, so the UPDATE finds the wallet's due holds through holds_active_wallet_expiry_idx.
CREATE OR REPLACE FUNCTION release_due_holds(p_wallet_id uuid, p_now timestamptz)
   RETURNS bigint LANGUAGE plpgsql AS $$
   DECLARE
     v_released   bigint;
     v_amounts    bigint[];
     v_counted_on date[];
   BEGIN
     WITH due AS (
       UPDATE holds SET status = 'expired', released_at = expires_at
        WHERE wallet_id = p_wallet_id AND hold_is_due(status, expires_at, p_now)
       RETURNING amount, debit_counted_on)
     SELECT coalesce(sum(amount), 0), array_agg(amount), array_agg(debit_counted_on)
       INTO v_released, v_amounts, v_counted_on FROM due;
     IF v_released > 0 THEN
       UPDATE wallets SET held = held - v_released, version = version + 1, updated_at = p_now,
              debit_day_used = debit_day_used - (SELECT sum(debit_usage_returned(debit_period, r.counted_on, r.amount, false))
                                                   FROM unnest(v_amounts, v_counted_on) r(amount, counted_on)),
              debit_month_used = debit_month_used - (SELECT sum(debit_usage_returned(debit_period, r.counted_on, r.amount, true))
                                                       FROM unnest(v_amounts, v_counted_on) r(amount, counted_on))
        WHERE id = p_wallet_id;
     END IF;
     RETURN v_released;
   END $$;
