-- How the service sends one call on its own: `SELECT record_call_events('post_movement', $tenant, $now,
-- post_movement(…))` — the call's events are written in the same statement, after the call, and its outcome
-- is returned unchanged. (post_group records the events of its calls itself.)
CREATE OR REPLACE FUNCTION record_call_events(p_entry_point text, p_tenant_id text, p_now timestamptz, p_outcome jsonb)
 RETURNS jsonb LANGUAGE plpgsql AS $$
   BEGIN
     IF p_outcome->>'outcome' = 'posted' THEN
       PERFORM record_events(
         jsonb_build_array(jsonb_build_object('entry_point', p_entry_point,
                                              'args', jsonb_build_object('p_tenant_id', p_tenant_id, 'p_now', p_now))),
         jsonb_build_array(p_outcome));
     END IF;
     RETURN p_outcome;
   END $$;
