-- wallet.created and wallet.updated, with the wallet as that statement left it. Runs from the deferred
-- constraint triggers wallets_created_event and wallets_updated_event (the migration of 1764600000000); the
-- latter fires only when status, overdraft_limit or metadata change, never for a posting's balance update,
-- which does not name those columns.
CREATE OR REPLACE FUNCTION wallet_event() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM append_event(NEW.tenant_id, CASE TG_OP WHEN 'INSERT' THEN 'wallet.created' ELSE 'wallet.updated' END,
                          NEW.updated_at, NEW.id, jsonb_build_object('wallet', to_jsonb(NEW)));
     RETURN NULL;
   END $$;
