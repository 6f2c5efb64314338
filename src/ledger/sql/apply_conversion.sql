-- A conversion: the quote's amount leaves the paying wallet in the quote's source currency and its
-- converted_amount reaches the receiving wallet in the target currency, through the system accounts fx:<FROM> and
-- fx:<TO>, so each currency balances on its own (four entries: wallet −amount, fx:FROM +amount, fx:TO −converted,
-- wallet +converted; written as two pairs by write_legs, each pair one INSERT that sums to zero in its currency).
-- The amount counts against the paying wallet's debit limits, the converted amount against the receiving one's
-- maxBalance, as for any movement; each wallet's entry is chained into its wallet's hash chain.
-- The caller holds both wallets' row locks; the quote's row is locked here, after them (every conversion takes
-- them in that order), so conversions of one quote queue on it and the first to commit uses it: the next one then
-- finds it used (QUOTE_USED). UNIQUE transactions_one_conversion_per_quote is the schema's half of that rule, and
-- the foreign key transactions_quote_fk makes the transaction's currencies and amounts the quote's.
-- The amounts are the quote's, computed when it was made; nothing here multiplies by a rate.
CREATE OR REPLACE FUNCTION apply_conversion(p_tenant_id text, p_transaction_id uuid, p_quote_id uuid, p_from_wallet_id uuid,
                                            p_to_wallet_id uuid, p_reference text, p_description text, p_metadata jsonb,
                                            p_now timestamptz)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_quote   fx_quotes%ROWTYPE;
     v_from    wallets%ROWTYPE;
     v_to      wallets%ROWTYPE;
     v_used_by uuid;
     v_refusal jsonb;
     v_tx      transactions%ROWTYPE;
     v_to_leg  transactions%ROWTYPE;
   BEGIN
     IF p_from_wallet_id = p_to_wallet_id THEN
       RETURN refusal('SAME_WALLET', format('A conversion needs two different wallets; both are %s.', p_from_wallet_id));
     END IF;
     SELECT * INTO v_quote FROM fx_quotes WHERE id = p_quote_id AND tenant_id = p_tenant_id FOR NO KEY UPDATE;
     IF NOT FOUND THEN RETURN refusal('QUOTE_NOT_FOUND', format('Quote %s does not exist.', p_quote_id)); END IF;
     SELECT id INTO v_used_by FROM transactions WHERE quote_id = p_quote_id;
     IF FOUND THEN
       RETURN refusal('QUOTE_USED', format('Quote %s was used by conversion %s; ask for a new quote.', p_quote_id, v_used_by));
     END IF;
     IF v_quote.expires_at <= p_now THEN
       RETURN refusal('QUOTE_EXPIRED', format('Quote %s expired at %s; ask for a new quote.', p_quote_id,
                      to_char(v_quote.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
     END IF;

     SELECT * INTO v_from FROM wallets WHERE id = p_from_wallet_id AND tenant_id = p_tenant_id;
     SELECT * INTO v_to FROM wallets WHERE id = p_to_wallet_id AND tenant_id = p_tenant_id;
     IF v_from.id IS NULL THEN RETURN refusal('WALLET_NOT_FOUND', format('Wallet %s does not exist.', p_from_wallet_id)); END IF;
     IF v_to.id IS NULL THEN RETURN refusal('WALLET_NOT_FOUND', format('Wallet %s does not exist.', p_to_wallet_id)); END IF;
     IF v_from.currency <> v_quote.from_currency OR v_to.currency <> v_quote.to_currency THEN
       RETURN refusal('CURRENCY_MISMATCH', format('Quote %s converts %s to %s; wallet %s holds %s, wallet %s holds %s.',
                      p_quote_id, v_quote.from_currency, v_quote.to_currency, v_from.id, v_from.currency, v_to.id, v_to.currency));
     END IF;
     -- only a wallet with holds can have due ones (as in apply_movement); releasing them changes held and the limit
     -- usage, so the row is read again
     IF v_from.held > 0 THEN
       IF release_due_holds(v_from.id, p_now) > 0 THEN SELECT * INTO v_from FROM wallets WHERE id = v_from.id; END IF;
     END IF;
     v_from := debit_usage(v_from, p_now);
     -- each side as a movement of its own currency: the paying side's status, funds and debit limits, the receiving
     -- side's status, upper bound and maxBalance
     v_refusal := movement_refusal(v_from, NULL::wallets, p_from_wallet_id, NULL, v_quote.amount);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;
     v_refusal := movement_refusal(NULL::wallets, v_to, NULL, p_to_wallet_id, v_quote.converted_amount);
     IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;

     INSERT INTO transactions (tenant_id, id, type, amount, currency, from_wallet_id, to_wallet_id, quote_id, to_currency,
                               converted_amount, rate, reference, description, metadata, created_at)
     VALUES (p_tenant_id, p_transaction_id, 'conversion', v_quote.amount, v_quote.from_currency, v_from.id, v_to.id, p_quote_id,
             v_quote.to_currency, v_quote.converted_amount, v_quote.rate, p_reference, p_description, coalesce(p_metadata, '{}'), p_now)
     RETURNING * INTO v_tx;
     -- the paying pair in the source currency (its amount counts against the payer's debit limits), then the
     -- receiving pair: write_legs takes amount and currency from the row it is given
     PERFORM write_legs(v_tx, debit_usage(v_from, p_now, p_counted => v_quote.amount), 'fx', NULL, 'fx', 0);
     v_to_leg := v_tx;
     v_to_leg.amount := v_quote.converted_amount;
     v_to_leg.currency := v_quote.to_currency;
     PERFORM write_legs(v_to_leg, NULL::wallets, 'fx', v_to.id, 'fx', 0);
     RETURN jsonb_build_object('outcome', 'posted', 'transaction', transaction_document(p_transaction_id));
   END $$;
