-- A hold as the API renders it (the service maps the snake_case columns).
CREATE FUNCTION hold_document(p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
     SELECT to_jsonb(h) FROM holds h WHERE h.id = p_id
   $$;
