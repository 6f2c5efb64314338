-- A refusal as every apply_* function and entry point returns it: a normal return, not an exception, so it
-- commits with its idempotency key and a retry with the same key gets the same answer.
CREATE OR REPLACE FUNCTION refusal(p_code text, p_detail text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
     SELECT jsonb_build_object('outcome', 'refused', 'code', p_code, 'detail', p_detail)
   $$;
