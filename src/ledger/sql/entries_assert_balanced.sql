-- The entries of a transaction sum to zero. Run by the statement trigger entries_sum_to_zero after every
-- INSERT on entries, over the rows that statement inserted: the database's half of the double-entry rule, so a
-- bug in the application cannot create or lose money silently.
CREATE OR REPLACE FUNCTION entries_assert_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- One index lookup per transaction touched; LATERAL keeps that plan even before entries has statistics.
        IF EXISTS (
          SELECT 1 FROM (SELECT DISTINCT transaction_id FROM new_entries) touched
           CROSS JOIN LATERAL (SELECT sum(e.amount) AS total FROM entries e WHERE e.transaction_id = touched.transaction_id) sums
           WHERE sums.total <> 0
        ) THEN
          RAISE EXCEPTION 'the entries of a transaction must sum to zero' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'entries_sum_to_zero';
        END IF;
        RETURN NULL;
      END $$;
