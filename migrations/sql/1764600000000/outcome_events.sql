-- The events one call's outcome stands for, in the order they happened (ord): an event exists only for a call
-- that posted ('posted'), never for a refusal, a replay, key_reused or in_progress. A posted transaction is
-- `transaction.posted` (its data is the transaction itself, rendered when read: see event_data.sql), a capture
-- also `hold.captured`; a placed hold is `hold.created`, a voided one `hold.voided`, with the hold as it is now,
-- at the end of the call; a batch stands for the events of each of its operations, in order.
-- wallet_id, other_wallet_id: the wallets the event concerns (the feed's walletId filter).
-- record_events.sql writes a lone deposit, withdrawal, transfer or refund without asking this (its hot path).
CREATE OR REPLACE FUNCTION outcome_events(p_entry_point text, p_outcome jsonb)
 RETURNS TABLE (ord bigint, type text, transaction_id uuid, data jsonb, wallet_id uuid, other_wallet_id uuid) LANGUAGE sql STABLE AS $$
  WITH items AS (
    SELECT i.item, i.n
      FROM jsonb_array_elements(CASE WHEN p_entry_point = 'post_batch' THEN p_outcome->'body'->'operations'
                                     WHEN p_outcome ? 'transaction' THEN jsonb_build_array(p_outcome - 'outcome')
                                     ELSE jsonb_build_array(jsonb_build_object('hold', p_outcome->'body')) END)
           WITH ORDINALITY i(item, n)
     WHERE p_outcome->>'outcome' = 'posted')
  SELECT items.n * 2 + e.k, e.type, e.transaction_id, e.data, e.wallet_id, e.other_wallet_id
    FROM items, LATERAL (
      SELECT 0 AS k, 'transaction.posted' AS type, (items.item->'transaction'->>'id')::uuid AS transaction_id,
             NULL::jsonb AS data,
             coalesce(items.item->'transaction'->>'wallet_id', items.item->'transaction'->>'from_wallet_id')::uuid AS wallet_id,
             (items.item->'transaction'->>'to_wallet_id')::uuid AS other_wallet_id
       WHERE items.item ? 'transaction'
      UNION ALL
      SELECT 1, 'hold.captured', NULL, jsonb_build_object('hold', h.document), (h.document->>'wallet_id')::uuid, NULL
        FROM (SELECT hold_document((items.item->'transaction'->>'hold_id')::uuid) AS document) h
       WHERE items.item->'transaction'->>'type' = 'capture'
      UNION ALL
      SELECT 0, CASE WHEN p_entry_point = 'void_hold' THEN 'hold.voided' ELSE 'hold.created' END, NULL,
             jsonb_build_object('hold', items.item->'hold'), (items.item->'hold'->>'wallet_id')::uuid, NULL
       WHERE items.item ? 'hold') e
$$;
