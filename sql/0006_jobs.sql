-- One durable job queue for background work after and around calls (the post-call pipeline,
-- outbound campaign attempts): voicebot.storage.queue. Forward-only: never edit an applied migration.
--
-- A claim (FOR UPDATE SKIP LOCKED) increments attempts and pushes run_at one lease ahead, so a job whose
-- worker died is due again when the lease ends; attempts is the fencing token a worker must still hold
-- to settle the job. (queue, key) is unique: enqueueing the same work twice is a no-op.
CREATE TABLE jobs (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    queue         text NOT NULL CHECK (queue ~ '^[a-z][a-z0-9_.-]{0,62}$'),
    key           text,
    group_key     text,
    company_id    uuid REFERENCES companies(id) ON DELETE CASCADE,
    call_id       uuid,
    payload       jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(payload) = 'object'),
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'paused', 'done', 'dead', 'cancelled')),
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  integer NOT NULL DEFAULT 10 CHECK (max_attempts >= 1),
    run_at        timestamptz NOT NULL DEFAULT now(),
    claimed_by    text,
    last_error    text,
    result        jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    UNIQUE (queue, key)
);
-- The claim's scan: due pending jobs of one queue, oldest due first.
CREATE INDEX jobs_due ON jobs (queue, run_at) WHERE status = 'pending';
CREATE INDEX jobs_group ON jobs (queue, group_key, status) WHERE group_key IS NOT NULL;
CREATE INDEX jobs_call ON jobs (call_id) WHERE call_id IS NOT NULL;
