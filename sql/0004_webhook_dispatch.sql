-- Webhook dispatch and call liveness: what the outbox dispatcher and the dead-call reaper need.
-- Forward-only: never edit an applied migration; add a new numbered file instead.

-- A 410 Gone from a company's endpoint disables it until an operator re-enables it
-- (`voicebot webhooks enable`); events for a disabled endpoint are marked 'disabled', not sent.
ALTER TABLE companies
    ADD COLUMN webhook_disabled_at     timestamptz,
    ADD COLUMN webhook_disabled_reason text;

-- The worker running a call touches last_heartbeat_at periodically; an active call whose heartbeat
-- (or start, before the first beat) is older than VOICEBOT_CALL_HEARTBEAT_TIMEOUT is finalized as dropped.
ALTER TABLE calls ADD COLUMN last_heartbeat_at timestamptz;
CREATE INDEX calls_active_heartbeat ON calls ((coalesce(last_heartbeat_at, started_at))) WHERE status = 'active';

-- Retry bookkeeping. A claim increments attempts and pushes next_attempt_at one lease ahead, so an
-- attempt whose dispatcher died is claimed again after the lease; attempts is the fencing token a
-- dispatcher must still hold to settle the row. retry_base is attempts at the last redelivery: the
-- retry schedule restarts from its first delay after `voicebot webhooks redeliver`.
ALTER TABLE webhook_outbox
    ADD COLUMN retry_base   integer NOT NULL DEFAULT 0 CHECK (retry_base >= 0),
    ADD COLUMN claimed_by   text;
CREATE INDEX webhook_outbox_status ON webhook_outbox (status, created_at DESC);
