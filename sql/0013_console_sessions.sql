-- The company console's sign-in sessions (issue 17). A session is created when a company signs in
-- with its API key; the browser holds only a random token in an HttpOnly cookie, stored here as its
-- sha256. Logout deletes the row; a deactivated company's sessions stop working at once (the lookup
-- joins companies.is_active). The CSRF token is per session and travels in forms, never in URLs.
-- Forward-only: never edit an applied migration; add a new numbered file instead.

CREATE TABLE console_sessions (
    token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    company_id  uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
CREATE INDEX console_sessions_company ON console_sessions (company_id);
