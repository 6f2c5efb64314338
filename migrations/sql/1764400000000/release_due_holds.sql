-- Marks the due holds of a wallet expired and takes them out of its held amount; returns how much was
-- released. The caller holds the wallet's row lock, which every writer of holds takes first.
-- hold_is_due inlines here, so the UPDATE finds the wallet's due holds through holds_active_wallet_expiry_idx.
CREATE OR REPLACE FUNCTION release_due_holds(p_wallet_id uuid, p_now timestamptz)
   RETURNS bigint LANGUAGE plpgsql AS $$
   DECLARE
     v_released bigint;
   BEGIN
     WITH due AS (
       UPDATE holds SET status = 'expired', released_at = expires_at
        WHERE wallet_id = p_wallet_id AND hold_is_due(status, expires_at, p_now)
       RETURNING amount)
     SELECT coalesce(sum(amount), 0) INTO v_released FROM due;
     IF v_released > 0 THEN
       UPDATE wallets SET held = held - v_released, version = version + 1, updated_at = p_now WHERE id = p_wallet_id;
     END IF;
     RETURN v_released;
   END $$;
