-- Analytics views. No fixed time window inside the views (the seed hard-coded "last 30 days"):
-- filter on the day / bot columns in the query instead.

-- Success rate per day and bot: a call succeeds when it completed or was transferred as scripted.
CREATE VIEW call_success_daily AS
SELECT date_trunc('day', started_at) AS day,
       bot_id,
       count(*) AS total_calls,
       count(*) FILTER (WHERE status IN ('completed', 'transferred')) AS successful_calls,
       round(100.0 * count(*) FILTER (WHERE status IN ('completed', 'transferred'))
             / nullif(count(*) FILTER (WHERE status <> 'active'), 0), 2) AS success_rate_pct
FROM calls
GROUP BY 1, 2;

CREATE VIEW avg_duration_by_final_state AS
SELECT bot_id,
       final_state,
       count(*) AS calls,
       avg(duration_ms) / 1000.0 AS avg_duration_s
FROM calls
WHERE ended_at IS NOT NULL
GROUP BY 1, 2;

CREATE VIEW errors_by_type AS
SELECT error_type,
       count(*) AS errors,
       count(*) FILTER (WHERE severity = 'critical') AS critical,
       count(*) FILTER (WHERE NOT resolved) AS unresolved,
       max(created_at) AS last_seen
FROM error_logs
GROUP BY 1;

CREATE VIEW slot_extraction_accuracy AS
SELECT c.bot_id,
       s.name AS slot_name,
       s.method,
       count(*) AS extractions,
       avg(s.confidence) AS avg_confidence,
       count(*) FILTER (WHERE s.validated) AS validated,
       round(100.0 * count(*) FILTER (WHERE s.validated) / count(*), 2) AS validated_pct
FROM extracted_slots s
JOIN calls c ON c.id = s.call_id
GROUP BY 1, 2, 3;

-- Per-state funnel for each scenario version: how many calls reached a state (entered it by a
-- transition or had a turn in it), how many ended there, and how many dropped off there (ended in it
-- abandoned or failed).
CREATE VIEW state_funnel AS
WITH reached AS (
    SELECT call_id, to_state AS state FROM state_transitions
    UNION
    SELECT call_id, state FROM turns WHERE state IS NOT NULL
)
SELECT c.bot_id,
       c.scenario_version_id,
       r.state,
       count(*) AS calls_reached,
       count(*) FILTER (WHERE c.ended_at IS NOT NULL AND c.final_state = r.state) AS calls_ended_here,
       count(*) FILTER (WHERE c.final_state = r.state AND c.status IN ('abandoned', 'failed')) AS calls_dropped_here,
       round(100.0 * count(*) FILTER (WHERE c.final_state = r.state AND c.status IN ('abandoned', 'failed'))
             / count(*), 2) AS drop_off_pct
FROM reached r
JOIN calls c ON c.id = r.call_id
GROUP BY 1, 2, 3;

-- Outcomes with the delivery status of their webhook (kept on the outbox row, not copied here).
CREATE VIEW outcome_webhook_status AS
SELECT o.call_id,
       o.outcome_type,
       o.confidence,
       coalesce(w.status, 'none') AS webhook_status,
       w.attempts AS webhook_attempts,
       w.delivered_at AS webhook_delivered_at
FROM outcomes o
LEFT JOIN webhook_outbox w ON w.event_id = o.webhook_event_id;
