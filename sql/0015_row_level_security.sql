-- Tenant isolation in the database (issue 16): row-level security on every company-scoped table.
--
-- The admin API and the console run each statement as the role voicebot_tenant with the company of the
-- request in the transaction's setting voicebot.company_id (voicebot.storage.tenancy). For that role,
-- Postgres itself refuses rows of any other company: a query that forgets its company filter sees,
-- changes and deletes only the current company's rows, and inserting a row of another company fails.
-- With no company set the role sees nothing. Only voicebot_tenant is restricted: the table owner (the
-- login running migrations, call workers, the recorder, the pipeline, the CLI) is not subject to RLS.
--
-- The login must be able to SET ROLE voicebot_tenant: a superuser can; otherwise an administrator runs
-- `GRANT voicebot_tenant TO <login>` (docs/operations.md). Views run with the caller's rights
-- (security_invoker), so reading a view as voicebot_tenant is filtered too.
-- A table added later needs its own policy: tests/storage/test_rls.py fails for a table without one.
-- Forward-only: never edit an applied migration; add a new numbered file instead.

DO $$
DECLARE
    login text := current_user;
    can_set boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voicebot_tenant') THEN
        BEGIN
            CREATE ROLE voicebot_tenant NOLOGIN;
        EXCEPTION
            WHEN duplicate_object THEN NULL;  -- another database of this cluster made it meanwhile
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the role voicebot_tenant does not exist and % may not create it: as an administrator run CREATE ROLE voicebot_tenant NOLOGIN; GRANT voicebot_tenant TO %; then migrate again', login, quote_ident(login);
        END;
    END IF;
    IF current_setting('server_version_num')::int >= 160000 THEN
        can_set := pg_has_role(login, 'voicebot_tenant', 'SET');
    ELSE
        can_set := pg_has_role(login, 'voicebot_tenant', 'MEMBER');
    END IF;
    IF NOT can_set THEN
        BEGIN
            EXECUTE format('GRANT voicebot_tenant TO %I', login);
        EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
            RAISE EXCEPTION '% may not SET ROLE voicebot_tenant: as an administrator run GRANT voicebot_tenant TO %; then migrate again', login, quote_ident(login);
        END;
    END IF;

    EXECUTE format('GRANT USAGE ON SCHEMA %I TO voicebot_tenant', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO voicebot_tenant', current_schema());
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO voicebot_tenant', current_schema());
    -- tables and sequences later migrations create (as this login) get the same grants
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO voicebot_tenant', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO voicebot_tenant', current_schema());
END
$$;

REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM voicebot_tenant;  -- /readyz reads it

-- The company of the current transaction (NULL when none is set: then no row is visible).
CREATE FUNCTION voicebot_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('voicebot.company_id', true), '')::uuid $$;

-- The company itself.
ALTER TABLE companies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON companies TO voicebot_tenant
    USING (id = (SELECT voicebot_tenant_id())) WITH CHECK (id = (SELECT voicebot_tenant_id()));

-- Tables that carry company_id.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['bots', 'webhook_outbox', 'jobs', 'company_secrets', 'do_not_call', 'campaigns',
                             'privacy_policies', 'analysis_configs', 'call_analyses', 'console_sessions']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I TO voicebot_tenant '
                       'USING (company_id = (SELECT voicebot_tenant_id())) '
                       'WITH CHECK (company_id = (SELECT voicebot_tenant_id()))', t);
    END LOOP;
END
$$;

-- Child tables without company_id: a row is the company's when its parent row is. The subquery on the
-- parent is itself filtered by the parent's policy (policies apply inside policy expressions too), so
-- "the parent row is visible" is exactly "the parent row is the company's".
DO $$
DECLARE
    child record;
BEGIN
    FOR child IN
        SELECT * FROM (VALUES
            -- via the bot
            ('scenario_versions', 'bots', 'bot_id'),
            ('knowledge_docs', 'bots', 'bot_id'),
            ('calls', 'bots', 'bot_id'),
            ('appointments', 'bots', 'bot_id'),
            ('error_logs', 'bots', 'bot_id'),
            ('book_resources', 'bots', 'bot_id'),
            ('scenario_version_replays', 'bots', 'bot_id'),
            -- via the call
            ('extracted_slots', 'calls', 'call_id'),
            ('call_checkpoints', 'calls', 'call_id'),
            ('caller_feedback', 'calls', 'call_id'),
            ('call_actions', 'calls', 'call_id'),
            ('turn_texts', 'calls', 'call_id'),
            ('discarded_turns', 'calls', 'call_id'),
            -- via the campaign, the webhook event
            ('campaign_numbers', 'campaigns', 'campaign_id'),
            ('campaign_attempts', 'campaigns', 'campaign_id'),
            ('webhook_deliveries', 'webhook_outbox', 'event_id')
        ) AS v(tbl, parent, fk)
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', child.tbl);
        EXECUTE format(
            'CREATE POLICY tenant ON %1$I TO voicebot_tenant '
            'USING (EXISTS (SELECT 1 FROM %2$I p WHERE p.%4$I = %1$I.%3$I)) '
            'WITH CHECK (EXISTS (SELECT 1 FROM %2$I p WHERE p.%4$I = %1$I.%3$I))',
            child.tbl, child.parent, child.fk,
            CASE child.parent WHEN 'webhook_outbox' THEN 'event_id' ELSE 'id' END);
    END LOOP;
END
$$;

-- The big children of a call that aggregates read row by row (the outcomes per day, the state funnel)
-- carry the call's company_id, so their policy is a column comparison instead of one probe of calls per
-- row read (docs/performance.md, "Row-level security"). The recorder labels its batches in one join
-- (voicebot.storage.sink); for any other writer that leaves it out, a trigger fills it from the call's
-- bot. A tenant's write must name its own company and a call it can see (WITH CHECK), so it cannot label
-- a row of another company's call as its own. Existing rows are labelled here, in this transaction (on a
-- large database, run this migration in a quiet hour: writes to these tables wait for it).
CREATE FUNCTION voicebot_company_of_call() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.company_id := (SELECT b.company_id FROM calls c JOIN bots b ON b.id = c.bot_id WHERE c.id = NEW.call_id);
    RETURN NEW;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['turns', 'state_transitions', 'outcomes']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN company_id uuid', t);
        EXECUTE format('UPDATE %I x SET company_id = b.company_id FROM calls c JOIN bots b ON b.id = c.bot_id '
                       'WHERE c.id = x.call_id', t);
        EXECUTE format('CREATE TRIGGER company_of_call BEFORE INSERT ON %I FOR EACH ROW '
                       'WHEN (NEW.company_id IS NULL) EXECUTE FUNCTION voicebot_company_of_call()', t);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %1$I TO voicebot_tenant '
                       'USING (company_id = (SELECT voicebot_tenant_id())) '
                       'WITH CHECK (company_id = (SELECT voicebot_tenant_id()) '
                       '            AND EXISTS (SELECT 1 FROM calls p WHERE p.id = %1$I.call_id))', t);
    END LOOP;
END
$$;

-- The analytics views read their tables with the reader's rights, so they are filtered as well.
ALTER VIEW call_success_daily SET (security_invoker = true);
ALTER VIEW avg_duration_by_final_state SET (security_invoker = true);
ALTER VIEW errors_by_type SET (security_invoker = true);
ALTER VIEW slot_extraction_accuracy SET (security_invoker = true);
ALTER VIEW state_funnel SET (security_invoker = true);
ALTER VIEW outcome_webhook_status SET (security_invoker = true);
