-- Organization SSO for PostgreSQL: configurations, the org's SSO state, SSO
-- sessions, pending sign-in requests, the SAML replay cache, the audit log
-- and the last refused SAML response. Times are unix seconds; constraints
-- are named as in the initial schema.

-- Never updated except for the test outcome, so "tested" names one exact
-- configuration; editing saves a new row.
CREATE TABLE sso_configs (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id            BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    protocol          TEXT   NOT NULL
        CONSTRAINT sso_configs_protocol_check CHECK (protocol IN ('oidc', 'saml')),
    settings          TEXT   NOT NULL,
    secret_ciphertext BYTEA,
    created_by        BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at        BIGINT NOT NULL,
    tested_at         BIGINT,
    test_result       TEXT,
    -- The target of the (org_id, config_id) foreign keys below, which keep
    -- an org from pointing at another org's configuration.
    CONSTRAINT sso_configs_org_id_id_key UNIQUE (org_id, id)
);
CREATE INDEX sso_configs_created_by ON sso_configs (created_by);

-- No row means the defaults of `OrgSso::default_for`.
CREATE TABLE org_sso (
    org_id              BIGINT  NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    enabled             BOOLEAN NOT NULL DEFAULT FALSE,
    active_config_id    BIGINT,
    session_ttl_s       BIGINT  NOT NULL DEFAULT 604800
        CONSTRAINT org_sso_session_ttl_check CHECK (session_ttl_s > 0),
    allow_idp_initiated BOOLEAN NOT NULL DEFAULT TRUE,
    CONSTRAINT org_sso_pkey PRIMARY KEY (org_id),
    CONSTRAINT org_sso_enabled_has_config CHECK (enabled = (active_config_id IS NOT NULL)),
    CONSTRAINT org_sso_active_config_fkey FOREIGN KEY (org_id, active_config_id)
        REFERENCES sso_configs (org_id, id)
);

-- One session per (user, org): a new SSO login replaces the previous one.
CREATE TABLE sso_sessions (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    config_id  BIGINT NOT NULL,
    subject    TEXT   NOT NULL,
    email      TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT sso_sessions_pkey PRIMARY KEY (user_id, org_id),
    CONSTRAINT sso_sessions_config_fkey FOREIGN KEY (org_id, config_id)
        REFERENCES sso_configs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX sso_sessions_org_config ON sso_sessions (org_id, config_id);

CREATE TABLE sso_requests (
    handle_hash      TEXT   NOT NULL,
    hub_session_hash TEXT   NOT NULL,
    user_id          BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id           BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    config_id        BIGINT NOT NULL,
    purpose          TEXT   NOT NULL
        CONSTRAINT sso_requests_purpose_check CHECK (purpose IN ('login', 'test')),
    return_to        TEXT   NOT NULL,
    nonce            TEXT,
    pkce_verifier    TEXT,
    saml_request_id  TEXT,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    CONSTRAINT sso_requests_pkey PRIMARY KEY (handle_hash),
    CONSTRAINT sso_requests_config_fkey FOREIGN KEY (org_id, config_id)
        REFERENCES sso_configs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX sso_requests_user_id ON sso_requests (user_id);
CREATE INDEX sso_requests_org_config ON sso_requests (org_id, config_id);

-- SAML assertion IDs seen and not yet expired; the primary key is what
-- makes a replay fail even when two instances receive it at once.
CREATE TABLE saml_assertions (
    issuer       TEXT   NOT NULL,
    assertion_id TEXT   NOT NULL,
    expires_at   BIGINT NOT NULL,
    CONSTRAINT saml_assertions_pkey PRIMARY KEY (issuer, assertion_id)
);

CREATE TABLE sso_audit (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id   BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    at       BIGINT NOT NULL,
    -- The entry outlives the account that caused it.
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    event    TEXT   NOT NULL,
    detail   TEXT   NOT NULL
);
CREATE INDEX sso_audit_org_at ON sso_audit (org_id, at, id);
CREATE INDEX sso_audit_actor_id ON sso_audit (actor_id);

CREATE TABLE sso_failed_responses (
    org_id   BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    response TEXT   NOT NULL,
    at       BIGINT NOT NULL,
    CONSTRAINT sso_failed_responses_pkey PRIMARY KEY (org_id)
);
