-- An event's data as the feed and webhooks render it. A transaction.posted event stores only the transaction's
-- id: a transaction never changes except its refunded_amount, so the document as it was posted is the
-- document now with refunded_amount 0 (idempotency_claim replays it the same way), and the posting path
-- writes 16 bytes instead of a copy of the transaction.
CREATE OR REPLACE FUNCTION event_data(p_transaction_id uuid, p_data jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_transaction_id IS NULL THEN p_data
              ELSE jsonb_build_object('transaction', transaction_document(p_transaction_id) || '{"refunded_amount": 0}') END
$$;
