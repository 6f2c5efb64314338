-- The part of an entry's hashed bytes that comes from its transaction (entry_hash.sql):
--   <id>|<type>|F(reference)F(description)<metadata>
-- F is ledger_hash_field (reference and description are free text); metadata is its jsonb text form
-- (metadata::text): keys ordered by their length in UTF-8 bytes, then bytewise, written '{"key": value, …}',
-- strings escaped as JSON, numbers as PostgreSQL's numeric prints them (positional, no exponent). A flat object,
-- so a few lines of JavaScript produce the same text (README "Checking a statement"). Computed once per
-- transaction and shared by its legs.
CREATE OR REPLACE FUNCTION transaction_hash_text(p_transaction_id uuid, p_type text, p_reference text, p_description text,
                                                 p_metadata jsonb)
 RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT p_transaction_id::text || '|' || p_type || '|' || ledger_hash_field(p_reference) || ledger_hash_field(p_description)
         || p_metadata::text
$$;
