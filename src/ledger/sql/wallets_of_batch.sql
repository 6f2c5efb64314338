-- The wallets a batch's operations touch: those they name and those of the holds they capture (a hold's wallet
-- never changes, so it can be read before it is locked).
CREATE OR REPLACE FUNCTION wallets_of_batch(p_tenant_id text, p_operations jsonb)
 RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT ARRAY(
    SELECT (op->>field)::uuid FROM jsonb_array_elements(p_operations) op,
           unnest(ARRAY['walletId', 'fromWalletId', 'toWalletId']) field
     WHERE op ? field
    UNION
    SELECT h.wallet_id FROM holds h
     WHERE h.tenant_id = p_tenant_id
       AND h.id IN (SELECT (op->>'holdId')::uuid FROM jsonb_array_elements(p_operations) op WHERE op ? 'holdId'))
$$;
