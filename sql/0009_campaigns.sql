-- Outbound campaigns: a company's do-not-call list, campaigns, their numbers and every dial attempt.
-- The call attempts themselves are jobs of the durable queue (table jobs, queue 'campaign_call',
-- group = campaign id); these tables hold what the campaign is and what each attempt did.

CREATE TABLE do_not_call (
    company_id      uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    phone_number    text NOT NULL CHECK (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
    reason          text CHECK (length(reason) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, phone_number)
);

CREATE TABLE campaigns (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id          uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    bot_id              uuid NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status              text NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'running', 'paused', 'stopped', 'completed')),
    default_timezone    text,
    window_start        time NOT NULL,
    window_end          time NOT NULL,            -- 24:00 is stored as 23:59:59.999999
    window_days         smallint[] NOT NULL,      -- ISO weekdays 1..7
    starts_at           timestamptz,
    ends_at             timestamptz,
    max_concurrent      integer NOT NULL CHECK (max_concurrent BETWEEN 1 AND 1000),
    max_attempts        integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 20),
    retry_on            text[] NOT NULL,
    retry_delays_s      integer[] NOT NULL,
    trunk_id            text,
    number_count        integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_company ON campaigns (company_id, created_at DESC);

CREATE TABLE campaign_numbers (
    campaign_id     uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    phone_number    text NOT NULL CHECK (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
    row_no          integer NOT NULL,             -- 1-based position in the upload
    timezone        text NOT NULL,
    variables       jsonb NOT NULL DEFAULT '{}',
    -- pending: attempts to come; answered: reached; exhausted: attempts used up without an answer;
    -- do_not_call / expired / cancelled: not called further for that reason
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'answered', 'exhausted', 'do_not_call', 'expired', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0,
    last_status     text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, phone_number)
);

CREATE TABLE campaign_attempts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    campaign_id     uuid NOT NULL,
    phone_number    text NOT NULL,
    attempt_no      integer NOT NULL CHECK (attempt_no >= 1),
    job_id          uuid,                         -- the queue job that placed it
    worker          text,                         -- the dispatcher instance
    call_id         uuid,                         -- the id the call's process records the call under
    room            text,
    status          text NOT NULL
                    CHECK (status IN ('dialing', 'answered', 'busy', 'no_answer', 'failed', 'interrupted',
                                      'do_not_call', 'expired')),
    sip_status_code integer,
    sip_status      text,
    error           text,
    started_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz,                  -- when the dial ended (answered: when it was answered)
    UNIQUE (campaign_id, phone_number, attempt_no),  -- one dial per attempt number, however many dispatchers
    FOREIGN KEY (campaign_id, phone_number) REFERENCES campaign_numbers ON DELETE CASCADE
);
-- live attempts, counted against max_concurrent
CREATE INDEX campaign_attempts_live ON campaign_attempts (campaign_id, started_at) WHERE status IN ('dialing', 'answered');
CREATE INDEX campaign_attempts_call ON campaign_attempts (call_id) WHERE call_id IS NOT NULL;
