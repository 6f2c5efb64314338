-- A free-text field of the bytes an entry's hash covers (transaction_hash_text.sql): NULL as '~', a text as its
-- length in UTF-8 bytes, ':' and the text itself, so no choice of characters can make two different entries
-- hash the same bytes. Plain SQL, inlined where it is called.
CREATE OR REPLACE FUNCTION ledger_hash_field(p_value text)
 RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_value IS NULL THEN '~' ELSE octet_length(convert_to(p_value, 'UTF8'))::text || ':' || p_value END
$$;
