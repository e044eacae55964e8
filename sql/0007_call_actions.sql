-- Mid-call actions (issue 13): every action a call ran, and the secrets a company's actions use.
-- Forward-only: never edit an applied migration; add a new numbered file instead.

-- One row per run of a declared action. `request` is a summary with every secret shown as ***
-- (method, url, headers, body or built-in args); it never holds a secret's value.
CREATE TABLE call_actions (
    call_id      uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    seq          integer NOT NULL CHECK (seq >= 0),
    action       text NOT NULL,
    kind         text NOT NULL,                 -- http / book.reserve / ...
    request      jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL CHECK (status IN ('ok', 'error', 'timeout')),
    http_status  integer,
    error        text,                          -- a short reason (never a secret)
    error_kind   text,                          -- timeout / refused / http_4xx / http_5xx / bad_json / ...
    latency_ms   real,
    attempts     integer NOT NULL DEFAULT 1 CHECK (attempts >= 0),
    filler       boolean NOT NULL DEFAULT false, -- the filler phrase was said while waiting
    next_state   text,                          -- where the call went on this result
    turn_seq     integer,
    at           timestamptz NOT NULL,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX call_actions_action ON call_actions (action, at);

-- Values substituted for {secret.<name>} in a company's action requests, server-side. Written by
-- `voicebot company secret set` and PUT /v1/secrets/{name}; never returned by the API, never logged.
CREATE TABLE company_secrets (
    company_id  uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]*$' AND length(name) <= 64),
    value       text NOT NULL CHECK (length(value) BETWEEN 1 AND 8192),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, name)
);
