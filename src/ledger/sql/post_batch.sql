-- Up to 100 operations, all or nothing: every wallet they touch (including the wallets of the holds
-- they capture) is locked once, in id order, before the first is applied. A refusal of any operation
-- rolls back all of them (the inner block is a savepoint) and is answered with the operation's index.
-- Each operation carries the id the service chose for what it creates.
CREATE OR REPLACE FUNCTION post_batch(p_tenant_id text, p_batch_id uuid, p_operations jsonb,
                                         p_idem_scope text, p_idem_key text, p_request_hash text, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_outcome jsonb;
     v_op      jsonb;
     v_index   bigint;
     v_result  jsonb;
     v_results jsonb := '[]';
     v_refusal jsonb;
   BEGIN
     v_outcome := claim_and_lock(p_tenant_id, wallets_of_batch(p_tenant_id, p_operations),
                                 p_idem_scope, p_idem_key, p_request_hash, NULL);
     IF v_outcome IS NOT NULL THEN RETURN v_outcome; END IF;
     BEGIN
       FOR v_op, v_index IN SELECT value, ordinality - 1 FROM jsonb_array_elements(p_operations) WITH ORDINALITY LOOP
         v_result := CASE v_op->>'type'
           WHEN 'deposit' THEN apply_movement(p_tenant_id, (v_op->>'id')::uuid, 'deposit', NULL, (v_op->>'walletId')::uuid,
                                 (v_op->>'amount')::bigint, v_op->>'reference', v_op->>'description', v_op->'metadata', p_now)
           WHEN 'withdrawal' THEN apply_movement(p_tenant_id, (v_op->>'id')::uuid, 'withdrawal', (v_op->>'walletId')::uuid, NULL,
                                 (v_op->>'amount')::bigint, v_op->>'reference', v_op->>'description', v_op->'metadata', p_now)
           WHEN 'transfer' THEN apply_movement(p_tenant_id, (v_op->>'id')::uuid, 'transfer', (v_op->>'fromWalletId')::uuid,
                                 (v_op->>'toWalletId')::uuid, (v_op->>'amount')::bigint, v_op->>'reference',
                                 v_op->>'description', v_op->'metadata', p_now)
           WHEN 'hold' THEN apply_hold(p_tenant_id, (v_op->>'id')::uuid, (v_op->>'walletId')::uuid, (v_op->>'amount')::bigint,
                                 (v_op->>'expiresAt')::timestamptz, v_op->>'reference', v_op->>'description',
                                 v_op->'metadata', p_now)
           WHEN 'capture' THEN apply_capture(p_tenant_id, (v_op->>'id')::uuid, (v_op->>'holdId')::uuid, (v_op->>'amount')::bigint,
                                 (v_op->>'toWalletId')::uuid, v_op->>'reference', v_op->>'description',
                                 v_op->'metadata', p_now)
         END;
         IF v_result IS NULL THEN
           RAISE EXCEPTION 'unknown batch operation type %', v_op->>'type';
         END IF;
         IF v_result->>'outcome' = 'refused' THEN
           v_refusal := v_result || jsonb_build_object('index', v_index);
           RAISE EXCEPTION USING ERRCODE = 'WB001', MESSAGE = 'batch operation refused';
         END IF;
         v_results := v_results || jsonb_build_array(
           jsonb_build_object('type', v_op->>'type') ||
           CASE WHEN v_result ? 'transaction' THEN jsonb_build_object('transaction', v_result->'transaction')
                ELSE jsonb_build_object('hold', v_result->'body') END);
       END LOOP;
     EXCEPTION WHEN SQLSTATE 'WB001' THEN
       RETURN idempotency_settle(p_idem_scope, p_idem_key, refusal(v_refusal->>'code',
         format('operations[%s]: %s', v_refusal->>'index', v_refusal->>'detail')));
     END;
     RETURN idempotency_settle(p_idem_scope, p_idem_key, jsonb_build_object('outcome', 'posted', 'status', 201,
       'body', jsonb_build_object('id', p_batch_id, 'createdAt', p_now, 'operations', v_results)));
   END $$;
