-- The wallets one call of a posting entry point touches, for post_group to lock them all up front. p_call is
-- { entry_point, args } as the service's typed calls build it (src/ledger/engine/calls.ts): every argument by its
-- SQL parameter name, as JSON.
CREATE OR REPLACE FUNCTION wallets_of_call(p_call jsonb)
 RETURNS uuid[] LANGUAGE plpgsql STABLE AS $$
   DECLARE
     v_a      jsonb := p_call->'args';
     v_tenant text := p_call->'args'->>'p_tenant_id';
   BEGIN
     CASE p_call->>'entry_point'
       WHEN 'post_movement' THEN RETURN ARRAY[(v_a->>'p_debit_wallet_id')::uuid, (v_a->>'p_credit_wallet_id')::uuid];
       WHEN 'place_hold' THEN RETURN ARRAY[(v_a->>'p_wallet_id')::uuid];
       WHEN 'capture_hold' THEN RETURN ARRAY[wallet_of_hold(v_tenant, (v_a->>'p_hold_id')::uuid), (v_a->>'p_to_wallet_id')::uuid];
       WHEN 'void_hold' THEN RETURN ARRAY[wallet_of_hold(v_tenant, (v_a->>'p_hold_id')::uuid)];
       WHEN 'refund_transaction' THEN RETURN wallets_of_transaction(v_tenant, (v_a->>'p_original_id')::uuid);
       WHEN 'post_conversion' THEN RETURN ARRAY[(v_a->>'p_from_wallet_id')::uuid, (v_a->>'p_to_wallet_id')::uuid];
       WHEN 'post_batch' THEN RETURN wallets_of_batch(v_tenant, (v_a->>'p_operations')::jsonb);
     END CASE;
   END $$;
