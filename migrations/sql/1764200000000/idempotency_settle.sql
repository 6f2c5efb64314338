-- Records what a request that owns its key ended with, so a retry gets the same answer; returns it.
CREATE FUNCTION idempotency_settle(p_scope text, p_key text, p_outcome jsonb)
   RETURNS jsonb LANGUAGE plpgsql AS $$
   BEGIN
     IF p_key IS NOT NULL THEN
       IF p_outcome->>'outcome' = 'refused' THEN
         UPDATE idempotency_keys SET transaction_id = NULL, error_code = p_outcome->>'code', error_detail = p_outcome->>'detail'
          WHERE scope = p_scope AND key = p_key;
       ELSIF p_outcome ? 'body' THEN
         UPDATE idempotency_keys SET transaction_id = NULL, response_status = (p_outcome->>'status')::smallint,
                response_body = p_outcome->'body'
          WHERE scope = p_scope AND key = p_key;
       END IF;
     END IF;
     RETURN p_outcome;
   END $$;
