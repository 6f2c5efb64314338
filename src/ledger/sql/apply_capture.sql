-- Captures a hold (all that is left by default) to a wallet or, with none, to the revenue account;
-- what is not captured is released. The caller holds the row locks of the hold's wallet and of the
-- receiving wallet; the hold's own row is locked here, after them, as every writer of holds does.
CREATE OR REPLACE FUNCTION apply_capture(p_tenant_id text, p_transaction_id uuid, p_hold_id uuid, p_amount bigint, p_to_wallet_id uuid,
                                            p_reference text, p_description text, p_metadata jsonb, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_hold    holds%ROWTYPE;
     v_payer   wallets%ROWTYPE;
     v_payee   wallets%ROWTYPE;
     v_amount  bigint;
     v_refusal jsonb;
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
     v_amount := coalesce(p_amount, v_hold.amount);
     IF v_amount > v_hold.amount THEN
       RETURN refusal('AMOUNT_EXCEEDS_HOLD', format('Hold %s reserves %s; %s was requested.', p_hold_id, v_hold.amount, v_amount));
     END IF;
     IF p_to_wallet_id = v_hold.wallet_id THEN
       RETURN refusal('SAME_WALLET', format('Hold %s is on wallet %s; capture it to another wallet or to revenue.', p_hold_id, p_to_wallet_id));
     END IF;

     SELECT * INTO v_payer FROM wallets WHERE id = v_hold.wallet_id;
     IF p_to_wallet_id IS NOT NULL THEN SELECT * INTO v_payee FROM wallets WHERE id = p_to_wallet_id AND tenant_id = p_tenant_id; END IF;
     -- no funds check: the hold already reserved the money, and capturing never lowers available
     v_refusal := movement_refusal(v_payer, v_payee, NULL, p_to_wallet_id, 0);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;
     IF v_payee.id IS NOT NULL AND v_payee.balance + v_amount > 9007199254740991 THEN
       RETURN refusal('BALANCE_LIMIT_EXCEEDED', format('Wallet %s cannot hold more than 9007199254740991 minor units.', v_payee.id));
     END IF;

     INSERT INTO transactions (tenant_id, id, type, amount, currency, from_wallet_id, to_wallet_id, hold_id,
                               reference, description, metadata, created_at)
     VALUES (p_tenant_id, p_transaction_id, 'capture', v_amount, v_hold.currency, v_hold.wallet_id, v_payee.id, p_hold_id,
             coalesce(p_reference, v_hold.reference), coalesce(p_description, v_hold.description),
             coalesce(p_metadata, v_hold.metadata), p_now);
     PERFORM write_legs(p_tenant_id, p_transaction_id, v_hold.currency, v_hold.wallet_id, NULL, v_payee.id, 'revenue',
                        v_amount, v_hold.amount, p_now);
     UPDATE holds SET status = 'captured', captured_amount = v_amount, released_at = p_now WHERE id = p_hold_id;
     RETURN jsonb_build_object('outcome', 'posted', 'transaction', transaction_document(p_transaction_id));
   END $$;
