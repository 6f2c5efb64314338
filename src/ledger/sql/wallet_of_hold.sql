-- The wallet a hold reserves money on, or NULL when the tenant has no such hold. A hold's wallet never changes,
-- so it can be read before the wallet is locked: capture_hold, void_hold and post_group lock what this names.
CREATE OR REPLACE FUNCTION wallet_of_hold(p_tenant_id text, p_hold_id uuid)
 RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT wallet_id FROM holds WHERE id = p_hold_id AND tenant_id = p_tenant_id
$$;
