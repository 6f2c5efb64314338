-- A group of deposits, withdrawals and transfers (post_group.sql, when every call of the group is a
-- post_movement) posted set-based: each move is decided in arrival order, in memory, by the same rules as alone
-- (movement_refusal), and then the group writes its rows with one statement per table — one INSERT of every
-- idempotency claim, of every transaction and of every entry (so the balance trigger runs once), and one UPDATE
-- per wallet however many moves it took part in (a hot merchant wallet gets one new row version per group, not
-- one per payment). Each wallet's limit usage (debit_usage) and entry chain (entry_hash) are kept in memory
-- move by move exactly like its balance, so every move is checked against its limits as it would be alone. p_wallets are the group's wallets as post_group locked them, in id order; the caller holds
-- every one's row lock.
-- NULL when the group cannot be posted this way, and post_group then posts its calls one by one:
--   * a paying wallet has money held: a hold of it may be due, and releasing it belongs to each move's own time
--     (apply_movement → release_due_holds);
--   * a claimed Idempotency-Key is still held by another transaction past lock_timeout (claimed one by one, that
--     move answers in_progress and the others post).
-- Keys: a move whose key the group's INSERT did not claim — used before, or earlier in this same group — is
-- answered after the writes by idempotency_claim, exactly as a retry would be (the first answer again, or
-- key_reused).
CREATE OR REPLACE FUNCTION post_movements_together(p_calls jsonb, p_wallets wallets[])
 RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     v_count       int := jsonb_array_length(p_calls);
     v_a           jsonb;
     -- the locked wallets, in memory: the rows as read, and what the moves so far did to them
     v_wallets     wallets[] := p_wallets;
     v_ids         uuid[];
     v_balances    bigint[];
     v_versions    int[];
     v_updated_at  timestamptz[];
     v_last_at     timestamptz[];
     v_hashes      bytea[];
     v_periods     date[];
     v_day_used    bigint[];
     v_month_used  bigint[];
     v_touched     boolean[];
     v_claimed     uuid[];
     v_answers     jsonb[];
     v_debit       wallets%ROWTYPE;
     v_credit      wallets%ROWTYPE;
     v_d           int;
     v_c           int;
     v_tenant      text;
     v_tx_id       uuid;
     v_type        text;
     v_debit_id    uuid;
     v_credit_id   uuid;
     v_amount      bigint;
     v_now         timestamptz;
     v_currency    char(3);
     v_refusal     jsonb;
     v_metadata    jsonb;
     v_content     text;
     -- the rows to write, one array per column
     t_tenant      text[] := '{}';
     t_id          uuid[] := '{}';
     t_type        text[] := '{}';
     t_amount      bigint[] := '{}';
     t_currency    text[] := '{}';
     t_wallet      uuid[] := '{}';
     t_from        uuid[] := '{}';
     t_to          uuid[] := '{}';
     t_reference   text[] := '{}';
     t_description text[] := '{}';
     t_metadata    jsonb[] := '{}';
     t_created_at  timestamptz[] := '{}';
     e_tenant      text[] := '{}';
     e_tx          uuid[] := '{}';
     e_currency    text[] := '{}';
     e_wallet      uuid[] := '{}';
     e_account     text[] := '{}';
     e_amount      bigint[] := '{}';
     e_after       bigint[] := '{}';
     e_at          timestamptz[] := '{}';
     e_hash        bytea[] := '{}';
     r_scope       text[] := '{}';
     r_key         text[] := '{}';
     r_code        text[] := '{}';
     r_detail      text[] := '{}';
   BEGIN
     v_ids := ARRAY(SELECT w.id FROM unnest(v_wallets) w);
     IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_calls) c, unnest(v_wallets) w
                 WHERE w.id = (c->'args'->>'p_debit_wallet_id')::uuid AND w.held > 0) THEN
       RETURN NULL;
     END IF;
     v_balances := ARRAY(SELECT w.balance FROM unnest(v_wallets) w);
     v_versions := ARRAY(SELECT w.version FROM unnest(v_wallets) w);
     v_updated_at := ARRAY(SELECT w.updated_at FROM unnest(v_wallets) w);
     v_last_at := ARRAY(SELECT w.last_entry_at FROM unnest(v_wallets) w);
     v_hashes := ARRAY(SELECT w.last_entry_hash FROM unnest(v_wallets) w);
     v_periods := ARRAY(SELECT w.debit_period FROM unnest(v_wallets) w);
     v_day_used := ARRAY(SELECT w.debit_day_used FROM unnest(v_wallets) w);
     v_month_used := ARRAY(SELECT w.debit_month_used FROM unnest(v_wallets) w);
     v_touched := array_fill(false, ARRAY[cardinality(v_ids)]);
     v_answers := array_fill(NULL::jsonb, ARRAY[v_count]);

     BEGIN
       WITH claimed AS (
         INSERT INTO idempotency_keys (scope, key, request_hash, transaction_id)
         SELECT c.value->'args'->>'p_idem_scope', c.value->'args'->>'p_idem_key', c.value->'args'->>'p_request_hash',
                (c.value->'args'->>'p_transaction_id')::uuid
           FROM jsonb_array_elements(p_calls) WITH ORDINALITY c
          WHERE c.value->'args'->>'p_idem_key' IS NOT NULL
          ORDER BY c.ordinality
         ON CONFLICT DO NOTHING
         RETURNING transaction_id)
       SELECT coalesce(array_agg(transaction_id), '{}') INTO v_claimed FROM claimed;
     EXCEPTION WHEN lock_not_available THEN
       RETURN NULL;
     END;

     FOR i IN 1..v_count LOOP
       v_a := p_calls->(i - 1)->'args';
       v_tx_id := (v_a->>'p_transaction_id')::uuid;
       -- a key this group did not claim is answered after the writes (idempotency_claim below)
       CONTINUE WHEN v_a->>'p_idem_key' IS NOT NULL AND NOT v_tx_id = ANY (v_claimed);
       v_tenant := v_a->>'p_tenant_id';
       v_type := v_a->>'p_type';
       v_debit_id := (v_a->>'p_debit_wallet_id')::uuid;
       v_credit_id := (v_a->>'p_credit_wallet_id')::uuid;
       v_amount := (v_a->>'p_amount')::bigint;
       v_now := (v_a->>'p_now')::timestamptz;
       -- another tenant's wallet is not found, as in apply_movement
       v_d := array_position(v_ids, v_debit_id);
       IF v_d IS NOT NULL AND (v_wallets[v_d]).tenant_id <> v_tenant THEN v_d := NULL; END IF;
       v_c := array_position(v_ids, v_credit_id);
       IF v_c IS NOT NULL AND (v_wallets[v_c]).tenant_id <> v_tenant THEN v_c := NULL; END IF;
       v_debit := NULL;
       v_credit := NULL;
       IF v_d IS NOT NULL THEN
         v_debit := v_wallets[v_d];
         v_debit.balance := v_balances[v_d];
         v_debit.debit_period := v_periods[v_d];
         v_debit.debit_day_used := v_day_used[v_d];
         v_debit.debit_month_used := v_month_used[v_d];
         v_debit := debit_usage(v_debit, v_now);
       END IF;
       IF v_c IS NOT NULL THEN v_credit := v_wallets[v_c]; v_credit.balance := v_balances[v_c]; END IF;
       v_refusal := movement_refusal(v_debit, v_credit, v_debit_id, v_credit_id, v_amount);
       IF v_refusal IS NOT NULL THEN
         v_answers[i] := v_refusal;
         IF v_a->>'p_idem_key' IS NOT NULL THEN
           r_scope := r_scope || (v_a->>'p_idem_scope');
           r_key := r_key || (v_a->>'p_idem_key');
           r_code := r_code || (v_refusal->>'code');
           r_detail := r_detail || (v_refusal->>'detail');
         END IF;
         CONTINUE;
       END IF;

       v_currency := coalesce(v_debit.currency, v_credit.currency);
       v_metadata := coalesce((v_a->>'p_metadata')::jsonb, '{}');
       v_content := transaction_hash_text(v_tx_id, v_type, v_a->>'p_reference', v_a->>'p_description', v_metadata);
       IF v_d IS NOT NULL THEN
         v_debit := debit_usage(v_debit, v_now, p_counted => v_amount);
         v_periods[v_d] := v_debit.debit_period;
         v_day_used[v_d] := v_debit.debit_day_used;
         v_month_used[v_d] := v_debit.debit_month_used;
       END IF;
       -- the transaction row and the two legs, as apply_movement and write_legs write them
       t_tenant := t_tenant || v_tenant;
       t_id := t_id || v_tx_id;
       t_type := t_type || v_type;
       t_amount := t_amount || v_amount;
       t_currency := t_currency || v_currency::text;
       t_wallet := t_wallet || CASE WHEN v_type <> 'transfer' THEN coalesce(v_debit.id, v_credit.id) END;
       t_from := t_from || CASE WHEN v_type = 'transfer' THEN v_debit.id END;
       t_to := t_to || CASE WHEN v_type = 'transfer' THEN v_credit.id END;
       t_reference := t_reference || (v_a->>'p_reference');
       t_description := t_description || (v_a->>'p_description');
       t_metadata := t_metadata || v_metadata;
       t_created_at := t_created_at || v_now;
       FOR leg IN 1..2 LOOP
         e_tenant := e_tenant || v_tenant;
         e_tx := e_tx || v_tx_id;
         e_currency := e_currency || v_currency::text;
         IF leg = 1 AND v_d IS NOT NULL THEN
           v_balances[v_d] := v_balances[v_d] - v_amount;
           v_versions[v_d] := v_versions[v_d] + 1;
           v_updated_at[v_d] := v_now;
           v_last_at[v_d] := greatest(v_last_at[v_d], v_now);
           v_touched[v_d] := true;
           e_wallet := e_wallet || v_debit.id; e_account := e_account || NULL::text;
           v_hashes[v_d] := entry_hash(v_hashes[v_d], v_debit.id, -v_amount, v_balances[v_d], v_last_at[v_d], v_content);
           e_amount := e_amount || -v_amount; e_after := e_after || v_balances[v_d]; e_at := e_at || v_last_at[v_d];
           e_hash := e_hash || v_hashes[v_d];
         ELSIF leg = 2 AND v_c IS NOT NULL THEN
           v_balances[v_c] := v_balances[v_c] + v_amount;
           v_versions[v_c] := v_versions[v_c] + 1;
           v_updated_at[v_c] := v_now;
           v_last_at[v_c] := greatest(v_last_at[v_c], v_now);
           v_touched[v_c] := true;
           e_wallet := e_wallet || v_credit.id; e_account := e_account || NULL::text;
           v_hashes[v_c] := entry_hash(v_hashes[v_c], v_credit.id, v_amount, v_balances[v_c], v_last_at[v_c], v_content);
           e_amount := e_amount || v_amount; e_after := e_after || v_balances[v_c]; e_at := e_at || v_last_at[v_c];
           e_hash := e_hash || v_hashes[v_c];
         ELSE
           e_wallet := e_wallet || NULL::uuid; e_account := e_account || ('world:' || v_currency);
           e_amount := e_amount || CASE WHEN leg = 1 THEN -v_amount ELSE v_amount END;
           e_after := e_after || NULL::bigint; e_at := e_at || v_now; e_hash := e_hash || NULL::bytea;
         END IF;
       END LOOP;
     END LOOP;

     INSERT INTO transactions (tenant_id, id, type, amount, currency, wallet_id, from_wallet_id, to_wallet_id,
                               reference, description, metadata, created_at)
     SELECT * FROM unnest(t_tenant, t_id, t_type, t_amount, t_currency, t_wallet, t_from, t_to, t_reference, t_description,
                          t_metadata, t_created_at);
     UPDATE wallets w SET balance = u.balance, version = u.version, updated_at = u.updated_at, last_entry_at = u.last_at,
                          last_entry_hash = u.hash, debit_period = u.period, debit_day_used = u.day_used, debit_month_used = u.month_used
       FROM unnest(v_ids, v_balances, v_versions, v_updated_at, v_last_at, v_hashes, v_periods, v_day_used, v_month_used, v_touched)
              u(id, balance, version, updated_at, last_at, hash, period, day_used, month_used, touched)
      WHERE w.id = u.id AND u.touched;
     -- in arrival order, debit leg first: entry ids follow the order the moves were decided in
     INSERT INTO entries (tenant_id, transaction_id, currency, wallet_id, account, amount, balance_after, created_at, hash)
     SELECT l.tenant_id, l.transaction_id, l.currency, l.wallet_id, l.account, l.amount, l.balance_after, l.created_at, l.hash
       FROM unnest(e_tenant, e_tx, e_currency, e_wallet, e_account, e_amount, e_after, e_at, e_hash) WITH ORDINALITY
              l(tenant_id, transaction_id, currency, wallet_id, account, amount, balance_after, created_at, hash, n)
      ORDER BY l.n;
     UPDATE idempotency_keys k SET transaction_id = NULL, error_code = r.code, error_detail = r.detail
       FROM unnest(r_scope, r_key, r_code, r_detail) r(scope, key, code, detail)
      WHERE k.scope = r.scope AND k.key = r.key;

     FOR i IN 1..v_count LOOP
       v_a := p_calls->(i - 1)->'args';
       v_tx_id := (v_a->>'p_transaction_id')::uuid;
       IF v_a->>'p_idem_key' IS NOT NULL AND NOT v_tx_id = ANY (v_claimed) THEN
         v_answers[i] := idempotency_claim(v_a->>'p_idem_scope', v_a->>'p_idem_key', v_a->>'p_request_hash', v_tx_id);
       ELSIF v_answers[i] IS NULL THEN
         v_answers[i] := jsonb_build_object('outcome', 'posted', 'transaction', transaction_document(v_tx_id));
       END IF;
     END LOOP;
     RETURN to_jsonb(v_answers);
   END $$;
