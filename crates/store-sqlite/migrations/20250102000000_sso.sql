-- Organization SSO for SQLite: configurations, the org's SSO state, SSO
-- sessions, pending sign-in requests, the SAML replay cache, the audit log
-- and the last refused SAML response. Times are unix seconds.

-- Never updated except for the test outcome, so "tested" names one exact
-- configuration; editing saves a new row.
CREATE TABLE sso_configs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    protocol          TEXT    NOT NULL CHECK (protocol IN ('oidc', 'saml')),
    settings          TEXT    NOT NULL,
    secret_ciphertext BLOB,
    created_by        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at        INTEGER NOT NULL,
    tested_at         INTEGER,
    test_result       TEXT,
    -- The target of the (org_id, config_id) foreign keys below, which keep
    -- an org from pointing at another org's configuration.
    UNIQUE (org_id, id)
) STRICT;
CREATE INDEX sso_configs_created_by ON sso_configs (created_by);

-- No row means the defaults of `OrgSso::default_for`.
CREATE TABLE org_sso (
    org_id              INTEGER NOT NULL PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    enabled             INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    active_config_id    INTEGER,
    session_ttl_s       INTEGER NOT NULL DEFAULT 604800 CHECK (session_ttl_s > 0),
    allow_idp_initiated INTEGER NOT NULL DEFAULT 1 CHECK (allow_idp_initiated IN (0, 1)),
    CHECK (enabled = (active_config_id IS NOT NULL)),
    FOREIGN KEY (org_id, active_config_id) REFERENCES sso_configs (org_id, id)
) STRICT;

-- One session per (user, org): a new SSO login replaces the previous one.
CREATE TABLE sso_sessions (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    config_id  INTEGER NOT NULL,
    subject    TEXT    NOT NULL,
    email      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, org_id),
    FOREIGN KEY (org_id, config_id) REFERENCES sso_configs (org_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX sso_sessions_org_config ON sso_sessions (org_id, config_id);

CREATE TABLE sso_requests (
    handle_hash      TEXT    NOT NULL PRIMARY KEY,
    hub_session_hash TEXT    NOT NULL,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id           INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    config_id        INTEGER NOT NULL,
    purpose          TEXT    NOT NULL CHECK (purpose IN ('login', 'test')),
    return_to        TEXT    NOT NULL,
    nonce            TEXT,
    pkce_verifier    TEXT,
    saml_request_id  TEXT,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    FOREIGN KEY (org_id, config_id) REFERENCES sso_configs (org_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX sso_requests_user_id ON sso_requests (user_id);
CREATE INDEX sso_requests_org_config ON sso_requests (org_id, config_id);

-- SAML assertion IDs seen and not yet expired; the primary key is what
-- makes a replay fail even when two instances receive it at once.
CREATE TABLE saml_assertions (
    issuer       TEXT    NOT NULL,
    assertion_id TEXT    NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (issuer, assertion_id)
) STRICT;

CREATE TABLE sso_audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id   INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    at       INTEGER NOT NULL,
    -- The entry outlives the account that caused it.
    actor_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    event    TEXT    NOT NULL,
    detail   TEXT    NOT NULL
) STRICT;
CREATE INDEX sso_audit_org_at ON sso_audit (org_id, at, id);
CREATE INDEX sso_audit_actor_id ON sso_audit (actor_id);

CREATE TABLE sso_failed_responses (
    org_id   INTEGER NOT NULL PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    response TEXT    NOT NULL,
    at       INTEGER NOT NULL
) STRICT;
