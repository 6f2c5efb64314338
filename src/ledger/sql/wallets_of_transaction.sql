-- The wallets a transaction moved money between (empty when the tenant has no such transaction): the wallets
-- a refund of it touches. A transaction's wallets never change, so they can be read before they are locked.
CREATE OR REPLACE FUNCTION wallets_of_transaction(p_tenant_id text, p_transaction_id uuid)
 RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT ARRAY(SELECT unnest(ARRAY[t.wallet_id, t.from_wallet_id, t.to_wallet_id]) FROM transactions t
                WHERE t.id = p_transaction_id AND t.tenant_id = p_tenant_id)
$$;
