-- What a call produces: the call, its turns, transitions, slots and state checkpoints (all written by the
-- recorder, idempotently on natural keys), then appointments, outcomes, the webhook outbox, errors, feedback.

CREATE TABLE calls (
    id                  uuid PRIMARY KEY,                -- chosen by the call's process, so replays are idempotent
    bot_id              uuid REFERENCES bots(id) ON DELETE SET NULL,
    direction           text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    caller_number       text,
    dialed_number       text,
    scenario_version_id uuid REFERENCES scenario_versions(id) ON DELETE SET NULL,
    status              text NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'completed', 'transferred', 'abandoned', 'failed')),
    started_at          timestamptz NOT NULL,
    ended_at            timestamptz,
    duration_ms         bigint GENERATED ALWAYS AS ((extract(epoch FROM (ended_at - started_at)) * 1000)::bigint) STORED,
    final_state         text,
    end_reason          text,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_bot_started ON calls (bot_id, started_at DESC);
CREATE INDEX calls_started ON calls (started_at DESC);
CREATE INDEX calls_active ON calls (started_at) WHERE status = 'active';

CREATE TABLE turns (
    call_id     uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    seq         integer NOT NULL CHECK (seq >= 0),
    role        text NOT NULL CHECK (role IN ('caller', 'bot', 'system')),
    text        text NOT NULL,
    state       text,
    interrupted boolean NOT NULL DEFAULT false,
    stt_ms      real,
    engine_ms   real,
    llm_ms      real,
    tts_ms      real,
    e2e_ms      real,
    metadata    jsonb NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL,
    PRIMARY KEY (call_id, seq)
);

CREATE TABLE state_transitions (
    call_id         uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    seq             integer NOT NULL CHECK (seq >= 0),
    from_state      text,                                -- NULL for the entry into the start state
    to_state        text NOT NULL,
    trigger_type    text NOT NULL,                       -- intent / when / event / dtmf / fallback / start / ...
    trigger_data    jsonb NOT NULL DEFAULT '{}',
    latency_ms      real,
    turn_seq        integer,
    at              timestamptz NOT NULL,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX state_transitions_to_state ON state_transitions (to_state);

CREATE TABLE extracted_slots (
    call_id     uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    seq         integer NOT NULL CHECK (seq >= 0),
    name        text NOT NULL,
    value       jsonb,                                   -- typed: a date is "2024-01-15", a number 3
    confidence  real CHECK (confidence BETWEEN 0 AND 1),
    method      text NOT NULL,                           -- regex / nlu / llm / default / dtmf / ...
    validated   boolean NOT NULL DEFAULT false,
    turn_seq    integer,
    at          timestamptz NOT NULL,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX extracted_slots_name ON extracted_slots (name);

-- The engine's call state after each turn: enough to inspect (or resume) a call where it stopped.
CREATE TABLE call_checkpoints (
    call_id     uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    turn_seq    integer NOT NULL,
    state       text NOT NULL,
    slots       jsonb NOT NULL DEFAULT '{}',
    retries     jsonb NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL,
    PRIMARY KEY (call_id, turn_seq)
);

CREATE TABLE appointments (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    call_id             uuid REFERENCES calls(id) ON DELETE SET NULL,
    bot_id              uuid REFERENCES bots(id) ON DELETE CASCADE,
    appointment_date    date NOT NULL,
    appointment_time    time NOT NULL,
    appointment_type    text,
    contact_name        text,
    contact_phone       text,
    contact_email       text,
    status              text NOT NULL DEFAULT 'confirmed'
                        CHECK (status IN ('confirmed', 'cancelled', 'completed', 'no_show')),
    confirmation_code   text NOT NULL UNIQUE,
    metadata            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointments_bot_date ON appointments (bot_id, appointment_date);
CREATE INDEX appointments_call ON appointments (call_id);

CREATE TABLE webhook_outbox (
    event_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),   -- also the webhook-id header
    company_id      uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    call_id         uuid REFERENCES calls(id) ON DELETE SET NULL,
    event_type      text NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'dead', 'disabled')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
-- The dispatcher's pick: WHERE status = 'pending' AND next_attempt_at <= now()
-- ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT n.
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_outbox_company ON webhook_outbox (company_id, created_at DESC);

CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid NOT NULL REFERENCES webhook_outbox(event_id) ON DELETE CASCADE,
    attempt         integer NOT NULL CHECK (attempt >= 1),
    url             text NOT NULL,
    attempted_at    timestamptz NOT NULL DEFAULT now(),
    status_code     integer,
    error           text,
    duration_ms     real,
    UNIQUE (event_id, attempt)
);

CREATE TABLE outcomes (
    call_id             uuid PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    outcome_type        text NOT NULL,
    confidence          real CHECK (confidence BETWEEN 0 AND 1),
    summary             text,
    extracted_data      jsonb NOT NULL DEFAULT '{}',
    webhook_event_id    uuid REFERENCES webhook_outbox(event_id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outcomes_type ON outcomes (outcome_type);

CREATE TABLE error_logs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id         uuid REFERENCES calls(id) ON DELETE SET NULL,
    bot_id          uuid REFERENCES bots(id) ON DELETE SET NULL,
    error_type      text NOT NULL,                       -- stt_error / llm_error / tts_error / storage_error ...
    message         text NOT NULL,
    stack_trace     text,
    context         jsonb NOT NULL DEFAULT '{}',
    severity        text NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    resolved        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX error_logs_type_created ON error_logs (error_type, created_at DESC);
CREATE INDEX error_logs_unresolved ON error_logs (created_at) WHERE NOT resolved;

CREATE TABLE caller_feedback (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id         uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    rating          integer CHECK (rating BETWEEN 1 AND 5),
    feedback_text   text,
    feedback_type   text,                                -- positive / negative / suggestion / bug
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX caller_feedback_call ON caller_feedback (call_id);
