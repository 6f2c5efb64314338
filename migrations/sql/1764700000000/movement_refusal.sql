-- Why money may not move from the debit side to the credit side (NULL when it may): existence,
-- status, currency, funds (held already net of due holds), the credit side's upper bound, and the wallets'
-- limits (limit_refusal: the debit side's usage already in the move's period, debit_usage).
CREATE OR REPLACE FUNCTION movement_refusal(p_debit wallets, p_credit wallets, p_debit_wallet_id uuid,
                                               p_credit_wallet_id uuid, p_amount bigint)
   RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
   BEGIN
     IF p_debit_wallet_id IS NOT NULL AND p_debit.id IS NULL THEN
       RETURN refusal('WALLET_NOT_FOUND', format('Wallet %s does not exist.', p_debit_wallet_id));
     ELSIF p_credit_wallet_id IS NOT NULL AND p_credit.id IS NULL THEN
       RETURN refusal('WALLET_NOT_FOUND', format('Wallet %s does not exist.', p_credit_wallet_id));
     ELSIF p_debit.id IS NOT NULL AND p_debit.status <> 'active' THEN
       RETURN refusal('WALLET_NOT_ACTIVE', format('Wallet %s is %s.', p_debit.id, p_debit.status));
     ELSIF p_credit.id IS NOT NULL AND p_credit.status <> 'active' THEN
       RETURN refusal('WALLET_NOT_ACTIVE', format('Wallet %s is %s.', p_credit.id, p_credit.status));
     ELSIF p_debit.id IS NOT NULL AND p_credit.id IS NOT NULL AND p_debit.currency <> p_credit.currency THEN
       RETURN refusal('CURRENCY_MISMATCH', format('Wallet %s holds %s, wallet %s holds %s.',
                      p_debit.id, p_debit.currency, p_credit.id, p_credit.currency));
     ELSIF p_debit.id IS NOT NULL AND p_debit.balance - p_debit.held - p_amount < -p_debit.overdraft_limit THEN
       RETURN refusal('INSUFFICIENT_FUNDS', format('Wallet %s has %s available; %s was requested.',
                      p_debit.id, p_debit.balance - p_debit.held + p_debit.overdraft_limit, p_amount));
     ELSIF p_credit.id IS NOT NULL AND p_credit.balance + p_amount > 9007199254740991 THEN
       RETURN refusal('BALANCE_LIMIT_EXCEEDED',
                      format('Wallet %s cannot hold more than 9007199254740991 minor units.', p_credit.id));
     END IF;
     RETURN limit_refusal(p_debit, p_credit, p_amount);
   END $$;
