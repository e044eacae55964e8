-- Tenants and bots: companies, bots, every deployed scenario version, knowledge documents.
-- Forward-only: never edit an applied migration; add a new numbered file instead.

CREATE TABLE companies (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- sha256 of the API key (hex). The key is 256 random bits, so a fast hash is enough; shown once.
    api_key_hash                text NOT NULL UNIQUE,
    api_key_prefix              text NOT NULL,           -- first characters, to recognise a key in lists
    webhook_url                 text,
    -- Standard Webhooks secrets (whsec_...). Kept in clear: signing needs the secret itself.
    -- During a rotation the previous secret stays valid until webhook_secret_previous_expires_at.
    webhook_secret              text NOT NULL,
    webhook_secret_previous     text,
    webhook_secret_previous_expires_at timestamptz,
    is_active                   boolean NOT NULL DEFAULT true,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CHECK ((webhook_secret_previous IS NULL) = (webhook_secret_previous_expires_at IS NULL))
);

CREATE TABLE bots (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id          uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    slug                text NOT NULL,                   -- bot.id in the scenario file
    name                text NOT NULL,
    phone_number        text NOT NULL UNIQUE CHECK (phone_number ~ '^\+[1-9][0-9]{6,14}$'),  -- E.164
    language            text NOT NULL,
    providers           jsonb NOT NULL DEFAULT '{}',     -- stt / tts / llm settings from the scenario
    current_version_id  uuid,                            -- FK added below (the two tables reference each other)
    is_active           boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (company_id, slug)
);
-- phone_number's UNIQUE constraint is the index of the per-call lookup by dialed number.

CREATE TABLE scenario_versions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    bot_id      uuid NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version >= 1),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    source      text NOT NULL,                           -- the YAML exactly as deployed
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bot_id, version)
);

ALTER TABLE bots ADD CONSTRAINT bots_current_version_fk
    FOREIGN KEY (current_version_id) REFERENCES scenario_versions(id) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE knowledge_docs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    bot_id          uuid NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    filename        text NOT NULL,
    file_type       text NOT NULL,
    file_size       bigint NOT NULL CHECK (file_size >= 0),
    sha256          text NOT NULL,
    status          text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'ready', 'error')),
    chunk_count     integer NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
    error_message   text,
    embedder        text,
    embedding_dim   integer CHECK (embedding_dim > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bot_id, filename)
);
