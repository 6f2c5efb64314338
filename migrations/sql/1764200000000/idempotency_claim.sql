-- Claims an Idempotency-Key for this request. NULL: the request owns the key now (or sent none).
-- Otherwise the outcome to answer with: the first request's result, key_reused or in_progress.
-- A concurrent duplicate blocks on the INSERT until the first commits, then replays it.
CREATE FUNCTION idempotency_claim(p_scope text, p_key text, p_request_hash text, p_transaction_id uuid)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_claimed idempotency_keys%ROWTYPE;
   BEGIN
     IF p_key IS NULL THEN RETURN NULL; END IF;
     BEGIN
       -- claimed with the transaction already named, so a posted move costs no second write
       INSERT INTO idempotency_keys (scope, key, request_hash, transaction_id)
       VALUES (p_scope, p_key, p_request_hash, p_transaction_id)
       ON CONFLICT DO NOTHING;
     EXCEPTION WHEN lock_not_available THEN
       RETURN jsonb_build_object('outcome', 'in_progress');
     END;
     IF FOUND THEN RETURN NULL; END IF;
     SELECT * INTO v_claimed FROM idempotency_keys WHERE scope = p_scope AND key = p_key;
     IF v_claimed.request_hash <> p_request_hash THEN
       RETURN jsonb_build_object('outcome', 'key_reused');
     END IF;
     -- A replay repeats the first answer: the transaction as it was posted, before any refund of it
     -- (refunded_amount is its only column that changes, and it was 0 then).
     RETURN jsonb_build_object('outcome', 'replay',
       'transaction', CASE WHEN v_claimed.transaction_id IS NOT NULL
                           THEN transaction_document(v_claimed.transaction_id) || '{"refunded_amount": 0}' END,
       'status', v_claimed.response_status, 'body', v_claimed.response_body,
       'code', v_claimed.error_code, 'detail', v_claimed.error_detail);
   END $$;
