-- The ledger is append-only: the statement trigger entries_append_only refuses every UPDATE and DELETE
-- on entries. A mistake is corrected by a new transaction, never by rewriting one.
CREATE OR REPLACE FUNCTION ledger_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$;
