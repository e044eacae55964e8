-- Durable finalization (issue 19): the engine's decision travels with the call's end record (journaled
-- like turns), so a call whose in-process finalize failed (Postgres down at hang-up, process killed
-- right after) is finalized later by the sweeper with the outcome the engine decided.
ALTER TABLE calls ADD COLUMN decision jsonb;
-- The sweeper's scan: ended calls, newest window only.
CREATE INDEX calls_ended_at ON calls (ended_at) WHERE status <> 'active';
