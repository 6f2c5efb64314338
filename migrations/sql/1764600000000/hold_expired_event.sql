-- hold.expired, when a due hold is marked expired: by the sweeper, or by a move on its wallet that releases it
-- first (release_due_holds). Runs from the deferred constraint trigger holds_expired_event (the migration of
-- 1764600000000). The event is dated when the hold expired.
CREATE OR REPLACE FUNCTION hold_expired_event() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM append_event(NEW.tenant_id, 'hold.expired', NEW.released_at, NEW.wallet_id,
                          jsonb_build_object('hold', to_jsonb(NEW)));
     RETURN NULL;
   END $$;
