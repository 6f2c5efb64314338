-- A transaction with its entries as one JSON document: the single source of what the API returns for a
-- transaction, whether just posted, replayed, fetched or listed. A conversion's rate is numeric with up to 24
-- digits: it is written as a string, since a JSON number would reach JavaScript as a binary float. A wallet leg
-- carries its chain hash (entry_hash.sql) in hex; a system-account leg has none.
CREATE OR REPLACE FUNCTION transaction_document(p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT to_jsonb(t) || jsonb_build_object('rate', t.rate::text, 'entries', (
           SELECT jsonb_agg(jsonb_build_object('wallet_id', e.wallet_id, 'account', e.account,
                                               'amount', e.amount, 'balance_after', e.balance_after,
                                               'hash', encode(e.hash, 'hex')) ORDER BY e.id)
             FROM entries e WHERE e.transaction_id = t.id))
    FROM transactions t WHERE t.id = p_id
$$;
