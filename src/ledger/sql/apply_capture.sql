-- Captures a hold (all that is left by default) to a wallet or, with none, to the revenue account;
-- what is not captured is released. The caller holds the row locks of the hold's wallet and of the
-- receiving wallet; the hold's own row is locked here, after them, as every writer of holds does.
-- Limits: the hold counted its whole amount against the paying wallet's debit limits when it was placed; the
-- capture makes that the captured amount and gives the rest back (if the hold's period is still current), so
-- it is never refused for a debit limit. A hold placed before limits existed was never counted: its capture
-- counts (and is checked for) what it captures, now. The receiving wallet's maxBalance is checked.
CREATE OR REPLACE FUNCTION apply_capture(p_tenant_id text, p_transaction_id uuid, p_hold_id uuid, p_amount bigint, p_to_wallet_id uuid,
                                            p_reference text, p_description text, p_metadata jsonb, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_hold      holds%ROWTYPE;
     v_payer     wallets%ROWTYPE;
     v_payee     wallets%ROWTYPE;
     v_amount    bigint;
     v_refusal   jsonb;
     v_tx        transactions%ROWTYPE;
     v_counted   boolean;
     -- the payer, for the debit limits, when the hold did not count yet; else no wallet
     v_uncounted wallets%ROWTYPE;
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
     v_payer := debit_usage(v_payer, p_now);
     v_counted := v_hold.debit_counted_on IS NOT NULL;
     IF p_to_wallet_id IS NOT NULL THEN SELECT * INTO v_payee FROM wallets WHERE id = p_to_wallet_id AND tenant_id = p_tenant_id; END IF;
     -- no funds check: the hold already reserved the money, and capturing never lowers available
     v_refusal := movement_refusal(v_payer, v_payee, NULL, p_to_wallet_id, 0);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;
     IF v_payee.id IS NOT NULL AND v_payee.balance + v_amount > 9007199254740991 THEN
       RETURN refusal('BALANCE_LIMIT_EXCEEDED', format('Wallet %s cannot hold more than 9007199254740991 minor units.', v_payee.id));
     END IF;
     IF NOT v_counted THEN v_uncounted := v_payer; END IF;
     v_refusal := limit_refusal(v_uncounted, v_payee, v_amount);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;

     INSERT INTO transactions (tenant_id, id, type, amount, currency, from_wallet_id, to_wallet_id, hold_id,
                               reference, description, metadata, created_at)
     VALUES (p_tenant_id, p_transaction_id, 'capture', v_amount, v_hold.currency, v_hold.wallet_id, v_payee.id, p_hold_id,
             coalesce(p_reference, v_hold.reference), coalesce(p_description, v_hold.description),
             coalesce(p_metadata, v_hold.metadata), p_now)
     RETURNING * INTO v_tx;
     PERFORM write_legs(v_tx, debit_usage(v_payer, p_now,
                                          p_counted => CASE WHEN v_counted THEN 0 ELSE v_amount END,
                                          p_returned => CASE WHEN v_counted THEN v_hold.amount - v_amount ELSE 0 END,
                                          p_returned_on => v_hold.debit_counted_on),
                        NULL, v_payee.id, 'revenue', v_hold.amount);
     UPDATE holds SET status = 'captured', captured_amount = v_amount, released_at = p_now WHERE id = p_hold_id;
     RETURN jsonb_build_object('outcome', 'posted', 'transaction', transaction_document(p_transaction_id));
   END $$;
