-- Moves money back along a deposit, transfer or capture: from whoever received it to whoever paid.
-- The caller holds both wallets' row locks; the original is locked here, after them, and its
-- refunded_amount (bounded by a CHECK) is what keeps concurrent refunds within the original amount.
-- A refund is money leaving the wallet that pays it back: it counts against that wallet's debit limits (and
-- may be refused by them) like any debit; the wallet it reaches must stay within its maxBalance.
CREATE OR REPLACE FUNCTION apply_refund(p_tenant_id text, p_transaction_id uuid, p_original_id uuid, p_amount bigint,
                                           p_reference text, p_description text, p_metadata jsonb, p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_original      transactions%ROWTYPE;
     v_debit_id      uuid;
     v_credit_id     uuid;
     v_debit_account text := 'world';
     v_debit         wallets%ROWTYPE;
     v_credit        wallets%ROWTYPE;
     v_refundable    bigint;
     v_amount        bigint;
     v_refusal       jsonb;
     v_tx            transactions%ROWTYPE;
   BEGIN
     SELECT * INTO v_original FROM transactions WHERE id = p_original_id AND tenant_id = p_tenant_id FOR NO KEY UPDATE;
     IF NOT FOUND THEN
       RETURN refusal('TRANSACTION_NOT_FOUND', format('Transaction %s does not exist.', p_original_id));
     END IF;
     CASE v_original.type
       WHEN 'deposit' THEN v_debit_id := v_original.wallet_id;
       WHEN 'transfer' THEN v_debit_id := v_original.to_wallet_id; v_credit_id := v_original.from_wallet_id;
       WHEN 'capture' THEN
         v_debit_id := v_original.to_wallet_id; v_credit_id := v_original.from_wallet_id; v_debit_account := 'revenue';
       ELSE
         RETURN refusal('TRANSACTION_NOT_REFUNDABLE',
                        format('Transaction %s is a %s; only deposits, transfers and captures are refunded.', p_original_id, v_original.type));
     END CASE;
     v_refundable := v_original.amount - v_original.refunded_amount;
     v_amount := coalesce(p_amount, v_refundable);
     IF v_refundable = 0 OR v_amount > v_refundable THEN
       RETURN refusal('AMOUNT_EXCEEDS_REFUNDABLE', format('Transaction %s has %s left to refund; %s was requested.',
                      p_original_id, v_refundable, v_amount));
     END IF;

     IF v_debit_id IS NOT NULL THEN SELECT * INTO v_debit FROM wallets WHERE id = v_debit_id; END IF;
     IF v_credit_id IS NOT NULL THEN SELECT * INTO v_credit FROM wallets WHERE id = v_credit_id; END IF;
     IF v_debit.held > 0 THEN
       IF release_due_holds(v_debit.id, p_now) > 0 THEN SELECT * INTO v_debit FROM wallets WHERE id = v_debit.id; END IF;
     END IF;
     v_debit := debit_usage(v_debit, p_now);
     v_refusal := movement_refusal(v_debit, v_credit, v_debit_id, v_credit_id, v_amount);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;

     INSERT INTO transactions (tenant_id, id, type, amount, currency, wallet_id, from_wallet_id, to_wallet_id, refund_of,
                               reference, description, metadata, created_at)
     VALUES (p_tenant_id, p_transaction_id, 'refund', v_amount, v_original.currency,
             CASE WHEN v_original.type = 'deposit' THEN v_debit_id END,
             CASE WHEN v_original.type <> 'deposit' THEN v_debit_id END,
             CASE WHEN v_original.type <> 'deposit' THEN v_credit_id END,
             p_original_id, coalesce(p_reference, v_original.reference), p_description, coalesce(p_metadata, '{}'), p_now)
     RETURNING * INTO v_tx;
     PERFORM write_legs(v_tx, debit_usage(v_debit, p_now, p_counted => v_amount), v_debit_account, v_credit_id, 'world', 0);
     UPDATE transactions SET refunded_amount = refunded_amount + v_amount WHERE id = p_original_id;
     RETURN jsonb_build_object('outcome', 'posted', 'transaction', transaction_document(p_transaction_id));
   END $$;
