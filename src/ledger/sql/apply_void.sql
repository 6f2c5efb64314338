-- Releases an active hold; the caller holds its wallet's row lock. What the hold reserved is given back to the
-- wallet's debit usage if its period is still the current one (debit_usage_returned).
CREATE OR REPLACE FUNCTION apply_void(p_tenant_id text, p_hold_id uuid, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_hold holds%ROWTYPE;
   BEGIN
     SELECT * INTO v_hold FROM holds WHERE id = p_hold_id AND tenant_id = p_tenant_id FOR UPDATE;
     IF NOT FOUND THEN RETURN refusal('HOLD_NOT_FOUND', format('Hold %s does not exist.', p_hold_id)); END IF;
     IF hold_is_due(v_hold.status, v_hold.expires_at, p_now) THEN
       PERFORM release_due_holds(v_hold.wallet_id, p_now);
       v_hold.status := 'expired';
     END IF;
     IF v_hold.status <> 'active' THEN
       RETURN refusal('HOLD_NOT_ACTIVE', format('Hold %s is %s.', p_hold_id, v_hold.status));
     END IF;
     UPDATE holds SET status = 'voided', released_at = p_now WHERE id = p_hold_id;
     UPDATE wallets SET held = held - v_hold.amount, version = version + 1, updated_at = p_now,
                        debit_day_used = debit_day_used - debit_usage_returned(debit_period, v_hold.debit_counted_on, v_hold.amount, false),
                        debit_month_used = debit_month_used - debit_usage_returned(debit_period, v_hold.debit_counted_on, v_hold.amount, true)
      WHERE id = v_hold.wallet_id;
     RETURN jsonb_build_object('outcome', 'posted', 'status', 200, 'body', hold_document(p_hold_id));
   END $$;
