-- After the call (issue 16): privacy policies, retention, cleaned and redacted turn texts, discarded
-- turns, the layered analysis configuration and each call's analysis (with its estimated cost and the
-- configuration snapshot it ran with). Written by the post-call pipeline (queue 'post_call' in jobs),
-- never on the caller's path. Forward-only: never edit an applied migration.

-- Retention per company (NULL: keep forever). Days are at least 1: a retention of 0 or -1 days is a
-- mistake the CLI and the API refuse with a message before Postgres would.
-- webhook_slot_values: the company's contract on slot values in webhooks (call.analyzed): true sends
-- them as extracted, false sends slot names with redacted values.
ALTER TABLE companies
    ADD COLUMN retention_calls_days integer CHECK (retention_calls_days >= 1),
    ADD COLUMN retention_turns_days integer CHECK (retention_turns_days >= 1),
    ADD COLUMN webhook_slot_values  boolean NOT NULL DEFAULT true;

-- What retention already did to a call, so each batch picks only calls with work left.
ALTER TABLE calls
    ADD COLUMN turns_purged_at timestamptz,
    ADD COLUMN raw_dropped_at  timestamptz;
CREATE INDEX calls_turns_unpurged ON calls (bot_id, started_at) WHERE turns_purged_at IS NULL;

-- PII redaction policy: the company's (bot_id NULL) and optionally one per bot, which wins.
CREATE TABLE privacy_policies (
    company_id          uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    bot_id              uuid REFERENCES bots(id) ON DELETE CASCADE,
    mode                text NOT NULL CHECK (mode IN ('off', 'redact', 'redact_drop_raw')),
    drop_raw_after_days integer CHECK (drop_raw_after_days >= 0),
    recognizers         text[] NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((mode = 'redact_drop_raw') = (drop_raw_after_days IS NOT NULL)),
    UNIQUE NULLS NOT DISTINCT (company_id, bot_id)
);

-- The analysis configuration in layers: code defaults < bot < bot x direction < company <
-- company x direction (the most specific tier of the seed's global < campaign < direction < client).
CREATE TABLE analysis_configs (
    company_id  uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    bot_id      uuid REFERENCES bots(id) ON DELETE CASCADE,
    direction   text CHECK (direction IN ('inbound', 'outbound')),
    config      jsonb NOT NULL CHECK (jsonb_typeof(config) = 'object'),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (company_id, bot_id, direction)
);

-- Beside each turn's raw text (turns.text, as heard): the cleaned caller text with its corrections, the
-- redacted copy served by the API and analytics (NULL when the policy is off), the STT confidence and
-- word timings where the provider gave them, and how many PII spans of each kind were redacted.
CREATE TABLE turn_texts (
    call_id         uuid NOT NULL,
    seq             integer NOT NULL,
    cleaned_text    text,
    redacted_text   text,
    corrections     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(corrections) = 'array'),
    stt_confidence  real CHECK (stt_confidence BETWEEN 0 AND 1),
    words           jsonb,
    pii             jsonb NOT NULL DEFAULT '{}',
    raw_dropped_at  timestamptz,
    PRIMARY KEY (call_id, seq),
    FOREIGN KEY (call_id, seq) REFERENCES turns(call_id, seq) ON DELETE CASCADE
);

-- Caller turns that carried nothing to understand (the counter-analytics seed's discarded segments).
CREATE TABLE discarded_turns (
    call_id         uuid NOT NULL,
    seq             integer NOT NULL,
    reason          text NOT NULL CHECK (reason IN ('empty', 'noise', 'garbage', 'low_confidence')),
    stt_confidence  real,
    chars           integer NOT NULL CHECK (chars >= 0),
    at              timestamptz NOT NULL,
    PRIMARY KEY (call_id, seq),
    FOREIGN KEY (call_id, seq) REFERENCES turns(call_id, seq) ON DELETE CASCADE
);

CREATE TABLE call_analyses (
    call_id             uuid PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    company_id          uuid REFERENCES companies(id) ON DELETE CASCADE,
    summary             text NOT NULL,
    sentiment           text NOT NULL CHECK (sentiment IN ('negative', 'neutral', 'positive')),
    sentiment_score     real NOT NULL CHECK (sentiment_score BETWEEN -1 AND 1),
    effort              jsonb NOT NULL,            -- {reasks, corrections, no_inputs, score}
    quality_flags       text[] NOT NULL DEFAULT '{}',
    analyzed_by         text NOT NULL CHECK (analyzed_by IN ('rules', 'llm')),
    model               text,
    cost                jsonb NOT NULL,            -- {stt_seconds, tts_characters, llm_tokens, ..., total}
    estimated_cost      numeric(12, 6) NOT NULL CHECK (estimated_cost >= 0),
    currency            text NOT NULL,
    config_snapshot     jsonb NOT NULL,            -- analysis config, privacy policy, prices, scenario version
    pii                 jsonb NOT NULL DEFAULT '{}',
    discarded_turns     integer NOT NULL DEFAULT 0 CHECK (discarded_turns >= 0),
    webhook_event_id    uuid REFERENCES webhook_outbox(event_id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_analyses_company ON call_analyses (company_id, created_at DESC);
CREATE INDEX call_analyses_flags ON call_analyses USING gin (quality_flags);
