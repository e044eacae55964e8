-- Live events (issue 16 item 7): what a call produces, as a stream the API serves over Server-Sent Events.
-- Forward-only: never edit an applied migration; add a new numbered file instead.
--
-- call_events is filled by triggers on the recorder's tables, in the recorder's own transactions, so an
-- event exists exactly when its row does. It has NO foreign keys (an event row never makes a recorder
-- write wait on a lock or fail); calls' delete trigger removes a deleted call's events (retention).
-- A turn event holds no text: the API reads it at delivery from turns/turn_texts, the redacted copy where
-- the post-call pipeline made one (as GET /v1/calls/{id} does), so an event never outlives a redaction,
-- a dropped raw text or purged turns.
-- Each statement that adds events sends one NOTIFY on channel voicebot_call_events with the id range it
-- added ('lo:hi'), never a payload; listeners read the rows (committed by then: NOTIFY is sent at commit).

CREATE TABLE call_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- the SSE id, increasing
    company_id  uuid NOT NULL,
    call_id     uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('call.started', 'turn', 'transition', 'slot', 'action',
                                             'call.ended')),
    seq         integer,                                           -- the source row's seq (turn, ...)
    payload     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_events_call ON call_events (call_id, id);
CREATE INDEX call_events_company_calls ON call_events (company_id, id)
    WHERE kind IN ('call.started', 'call.ended');

CREATE FUNCTION call_events_notify(lo bigint, hi bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF lo IS NOT NULL THEN
        PERFORM pg_notify('voicebot_call_events', lo::text || ':' || hi::text);
    END IF;
END $$;

-- Calls: call.started on insert (and call.ended when inserted already ended).
CREATE FUNCTION call_events_calls_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE lo bigint; hi bigint;
BEGIN
    WITH added AS (
        INSERT INTO call_events (company_id, call_id, kind, payload, created_at)
        SELECT b.company_id, n.id, e.kind,
               CASE WHEN e.kind = 'call.started' THEN
                   jsonb_build_object('bot_id', n.bot_id, 'direction', n.direction,
                                      'caller_number', n.caller_number, 'dialed_number', n.dialed_number,
                                      'started_at', n.started_at)
               ELSE
                   jsonb_build_object('status', n.status, 'ended_at', n.ended_at,
                                      'final_state', n.final_state, 'end_reason', n.end_reason)
               END,
               coalesce(CASE WHEN e.kind = 'call.started' THEN n.started_at ELSE n.ended_at END, now())
        FROM new_calls n JOIN bots b ON b.id = n.bot_id
        CROSS JOIN LATERAL (VALUES (1, 'call.started'), (2, 'call.ended')) AS e(ord, kind)
        WHERE e.kind = 'call.started' OR n.status <> 'active'
        ORDER BY n.started_at, n.id, e.ord
        RETURNING id
    )
    SELECT min(id), max(id) INTO lo, hi FROM added;
    PERFORM call_events_notify(lo, hi);
    RETURN NULL;
END $$;
CREATE TRIGGER call_events_calls_inserted AFTER INSERT ON calls
    REFERENCING NEW TABLE AS new_calls FOR EACH STATEMENT EXECUTE FUNCTION call_events_calls_inserted();

-- Calls: call.ended when the status leaves 'active' (the recorder's end, finalize, the sweeper). The
-- heartbeat's UPDATE never fires it (the WHEN clause is evaluated without calling the function).
CREATE FUNCTION call_events_calls_ended() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE added bigint;
BEGIN
    INSERT INTO call_events (company_id, call_id, kind, payload, created_at)
    SELECT b.company_id, NEW.id, 'call.ended',
           jsonb_build_object('status', NEW.status, 'ended_at', NEW.ended_at,
                              'final_state', NEW.final_state, 'end_reason', NEW.end_reason),
           coalesce(NEW.ended_at, now())
    FROM bots b WHERE b.id = NEW.bot_id
    RETURNING id INTO added;
    PERFORM call_events_notify(added, added);
    RETURN NULL;
END $$;
CREATE TRIGGER call_events_calls_ended AFTER UPDATE OF status ON calls
    FOR EACH ROW WHEN (OLD.status = 'active' AND NEW.status <> 'active')
    EXECUTE FUNCTION call_events_calls_ended();

-- A deleted call takes its events with it (retention's call deletes; there is no foreign key).
CREATE FUNCTION call_events_calls_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM call_events e USING old_calls o WHERE e.call_id = o.id;
    RETURN NULL;
END $$;
CREATE TRIGGER call_events_calls_deleted AFTER DELETE ON calls
    REFERENCING OLD TABLE AS old_calls FOR EACH STATEMENT EXECUTE FUNCTION call_events_calls_deleted();

-- Turns (no text: read at delivery), transitions, slots, actions: one INSERT ... SELECT per statement.
CREATE FUNCTION call_events_turns() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE lo bigint; hi bigint;
BEGIN
    WITH added AS (
        INSERT INTO call_events (company_id, call_id, kind, seq, payload, created_at)
        SELECT b.company_id, n.call_id, 'turn', n.seq,
               jsonb_build_object('seq', n.seq, 'role', n.role, 'state', n.state,
                                  'interrupted', n.interrupted, 'at', n.at,
                                  'latency_ms', jsonb_strip_nulls(jsonb_build_object(
                                      'stt', n.stt_ms, 'engine', n.engine_ms, 'llm', n.llm_ms,
                                      'tts', n.tts_ms, 'e2e', n.e2e_ms))),
               n.at
        FROM new_rows n JOIN calls c ON c.id = n.call_id JOIN bots b ON b.id = c.bot_id
        ORDER BY n.call_id, n.seq
        RETURNING id
    )
    SELECT min(id), max(id) INTO lo, hi FROM added;
    PERFORM call_events_notify(lo, hi);
    RETURN NULL;
END $$;
CREATE TRIGGER call_events_turns AFTER INSERT ON turns
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION call_events_turns();

CREATE FUNCTION call_events_transitions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE lo bigint; hi bigint;
BEGIN
    WITH added AS (
        INSERT INTO call_events (company_id, call_id, kind, seq, payload, created_at)
        SELECT b.company_id, n.call_id, 'transition', n.seq,
               jsonb_build_object('seq', n.seq, 'from_state', n.from_state, 'to_state', n.to_state,
                                  'trigger_type', n.trigger_type, 'trigger_data', n.trigger_data,
                                  'turn_seq', n.turn_seq, 'at', n.at),
               n.at
        FROM new_rows n JOIN calls c ON c.id = n.call_id JOIN bots b ON b.id = c.bot_id
        ORDER BY n.call_id, n.seq
        RETURNING id
    )
    SELECT min(id), max(id) INTO lo, hi FROM added;
    PERFORM call_events_notify(lo, hi);
    RETURN NULL;
END $$;
CREATE TRIGGER call_events_transitions AFTER INSERT ON state_transitions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION call_events_transitions();

CREATE FUNCTION call_events_slots() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE lo bigint; hi bigint;
BEGIN
    WITH added AS (
        INSERT INTO call_events (company_id, call_id, kind, seq, payload, created_at)
        SELECT b.company_id, n.call_id, 'slot', n.seq,
               jsonb_build_object('seq', n.seq, 'name', n.name, 'value', n.value,
                                  'confidence', n.confidence, 'method', n.method,
                                  'validated', n.validated, 'turn_seq', n.turn_seq, 'at', n.at),
               n.at
        FROM new_rows n JOIN calls c ON c.id = n.call_id JOIN bots b ON b.id = c.bot_id
        ORDER BY n.call_id, n.seq
        RETURNING id
    )
    SELECT min(id), max(id) INTO lo, hi FROM added;
    PERFORM call_events_notify(lo, hi);
    RETURN NULL;
END $$;
CREATE TRIGGER call_events_slots AFTER INSERT ON extracted_slots
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION call_events_slots();

-- Actions: as GET /v1/calls/{id} shows them (the request summary has every secret as ***).
CREATE FUNCTION call_events_actions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE lo bigint; hi bigint;
BEGIN
    WITH added AS (
        INSERT INTO call_events (company_id, call_id, kind, seq, payload, created_at)
        SELECT b.company_id, n.call_id, 'action', n.seq,
               jsonb_build_object('seq', n.seq, 'action', n.action, 'kind', n.kind, 'request', n.request,
                                  'status', n.status, 'http_status', n.http_status, 'error', n.error,
                                  'error_kind', n.error_kind, 'latency_ms', n.latency_ms,
                                  'attempts', n.attempts, 'filler', n.filler,
                                  'next_state', n.next_state, 'turn_seq', n.turn_seq, 'at', n.at),
               n.at
        FROM new_rows n JOIN calls c ON c.id = n.call_id JOIN bots b ON b.id = c.bot_id
        ORDER BY n.call_id, n.seq
        RETURNING id
    )
    SELECT min(id), max(id) INTO lo, hi FROM added;
    PERFORM call_events_notify(lo, hi);
    RETURN NULL;
END $$;
CREATE TRIGGER call_events_actions AFTER INSERT ON call_actions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION call_events_actions();

-- Row-level security like every company-scoped table, where the database has it (0015's role and
-- voicebot_tenant_id()): the API's tenant role then sees only its company's events. The triggers write
-- as the table owner (SECURITY DEFINER), to which RLS does not apply.
DO $$
BEGIN
    IF to_regprocedure('voicebot_tenant_id()') IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voicebot_tenant') THEN
        ALTER TABLE call_events ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON call_events TO voicebot_tenant
            USING (company_id = voicebot_tenant_id()) WITH CHECK (company_id = voicebot_tenant_id());
        GRANT SELECT ON call_events TO voicebot_tenant;
    END IF;
END
$$;
