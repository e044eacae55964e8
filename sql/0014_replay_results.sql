-- Replay (issue 18): the result of replaying recorded calls against a scenario version, kept with that
-- version (`voicebot bot deploy --replay 7d`, PUT /v1/bots/{id}/scenario with "replay"). A replay only
-- reads the call tables; this is the one table it writes.
CREATE TABLE scenario_version_replays (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id  uuid NOT NULL REFERENCES scenario_versions(id) ON DELETE CASCADE,
    bot_id      uuid NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    since       timestamptz,                              -- the calls replayed started at or after this
    calls       integer NOT NULL CHECK (calls >= 0),
    unchanged   integer NOT NULL CHECK (unchanged >= 0),
    improved    integer NOT NULL CHECK (improved >= 0),
    changed     integer NOT NULL CHECK (changed >= 0),
    regressed   integer NOT NULL CHECK (regressed >= 0),
    skipped     integer NOT NULL CHECK (skipped >= 0),
    forced      boolean NOT NULL DEFAULT false,          -- deployed although it showed regressions
    report      jsonb NOT NULL,                           -- the JSON report (voicebot replay --format json)
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scenario_version_replays_version ON scenario_version_replays (version_id, created_at DESC);
