-- The tamper-evident chain of a wallet's entries: each wallet entry's hash is SHA-256 over the UTF-8 bytes of
--   wallet-entry/v1|<previous>|<wallet id>|<amount>|<balance after>|<created at>|<transaction part>
-- previous: the hash (lowercase hex) of the wallet's entry before it in ledger order, empty for its first;
-- amount and balance after: signed decimal integers; created at: the entry's stamp as the API shows it
-- (2026-12-04T10:11:12.123Z: UTC, milliseconds); transaction part: transaction_hash_text (id, type, reference,
-- description, metadata). None of the fixed fields can hold a '|'; the free-text ones are length-prefixed.
-- The wallet row keeps its last entry's hash (wallets.last_entry_hash), so the posting statement chains the new
-- entry under the row lock it already holds: no global chain, no extra lock, no extra read. README "Checking a
-- statement" recomputes it in Node. System-account legs (world:, revenue:) have no chain: no row lock orders them.
CREATE OR REPLACE FUNCTION entry_hash(p_previous bytea, p_wallet_id uuid, p_amount bigint, p_balance_after bigint,
                                      p_created_at timestamptz, p_transaction_text text)
 RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to('wallet-entry/v1|' || coalesce(encode(p_previous, 'hex'), '') || '|' || p_wallet_id::text || '|'
                           || p_amount::text || '|' || p_balance_after::text || '|'
                           || to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '|' || p_transaction_text,
                           'UTF8'))
$$;
