-- Live events of turns and transitions: take the company from the row itself. Since 0015 every turns
-- and state_transitions row carries its call's company_id (filled by the sink, or by the
-- company_of_call trigger before the insert), so the statement triggers of 0016 no longer join calls
-- and bots for each recorder batch. Same events: a row whose call has no bot (company_id NULL) makes
-- none, as the join did not.

CREATE OR REPLACE FUNCTION call_events_turns() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE lo bigint; hi bigint;
BEGIN
    WITH added AS (
        INSERT INTO call_events (company_id, call_id, kind, seq, payload, created_at)
        SELECT n.company_id, n.call_id, 'turn', n.seq,
               jsonb_build_object('seq', n.seq, 'role', n.role, 'state', n.state,
                                  'interrupted', n.interrupted, 'at', n.at,
                                  'latency_ms', jsonb_strip_nulls(jsonb_build_object(
                                      'stt', n.stt_ms, 'engine', n.engine_ms, 'llm', n.llm_ms,
                                      'tts', n.tts_ms, 'e2e', n.e2e_ms))),
               n.at
        FROM new_rows n WHERE n.company_id IS NOT NULL  -- labelled with its call's company (0015)
        ORDER BY n.call_id, n.seq
        RETURNING id
    )
    SELECT min(id), max(id) INTO lo, hi FROM added;
    PERFORM call_events_notify(lo, hi);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION call_events_transitions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE lo bigint; hi bigint;
BEGIN
    WITH added AS (
        INSERT INTO call_events (company_id, call_id, kind, seq, payload, created_at)
        SELECT n.company_id, n.call_id, 'transition', n.seq,
               jsonb_build_object('seq', n.seq, 'from_state', n.from_state, 'to_state', n.to_state,
                                  'trigger_type', n.trigger_type, 'trigger_data', n.trigger_data,
                                  'turn_seq', n.turn_seq, 'at', n.at),
               n.at
        FROM new_rows n WHERE n.company_id IS NOT NULL  -- labelled with its call's company (0015)
        ORDER BY n.call_id, n.seq
        RETURNING id
    )
    SELECT min(id), max(id) INTO lo, hi FROM added;
    PERFORM call_events_notify(lo, hi);
    RETURN NULL;
END $$;
