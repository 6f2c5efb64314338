-- The entries of a transaction sum to zero in each currency on its own, and each entry is in its transaction's
-- tenant and in one of its currencies (a conversion has two: currency and to_currency; every other transaction
-- one). Run by the statement trigger entries_sum_to_zero after every INSERT on entries, over the transactions that
-- statement wrote to: the database's half of the double-entry rule, so a bug in the application cannot create or
-- lose money silently, nor move it between currencies at a rate of its own. (The foreign key entries_transaction_fk
-- says the transaction exists; a key cannot say "one of two currencies", so the tenant and currency are checked here.)
CREATE OR REPLACE FUNCTION entries_assert_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        v_problem record;
      BEGIN
        -- One lookup of each transaction touched and one index scan of its entries; LATERAL keeps that plan even
        -- before the tables have statistics.
        SELECT touched.transaction_id, sums.currency, sums.total INTO v_problem
          FROM (SELECT DISTINCT transaction_id FROM new_entries) touched
         CROSS JOIN LATERAL (SELECT x.tenant_id, x.currency, x.to_currency FROM transactions x WHERE x.id = touched.transaction_id) t
         CROSS JOIN LATERAL (SELECT e.currency, sum(e.amount) AS total, bool_and(e.tenant_id = t.tenant_id) AS same_tenant
                               FROM entries e WHERE e.transaction_id = touched.transaction_id GROUP BY e.currency) sums
         WHERE sums.total <> 0 OR NOT sums.same_tenant OR sums.currency NOT IN (t.currency, coalesce(t.to_currency, t.currency))
         LIMIT 1;
        IF NOT FOUND THEN RETURN NULL; END IF;
        IF v_problem.total <> 0 THEN
          RAISE EXCEPTION 'the entries of a transaction must sum to zero in each currency (transaction %, % sums to %)',
            v_problem.transaction_id, v_problem.currency, v_problem.total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entries_sum_to_zero';
        END IF;
        RAISE EXCEPTION 'an entry must be in its transaction''s tenant and currency (transaction %, entry in %)',
          v_problem.transaction_id, v_problem.currency
          USING ERRCODE = 'check_violation', CONSTRAINT = 'entries_in_transaction_currency';
      END $$;
