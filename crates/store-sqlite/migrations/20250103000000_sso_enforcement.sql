-- Mandatory organization SSO for SQLite: the mode (optional or enforced),
-- just-in-time membership, email domains, who tested a configuration with
-- which identity, and SSO sessions tied to the browser session that
-- completed them.

-- `enabled` stays the on/off switch; `enforced` says how it applies while on.
ALTER TABLE org_sso ADD COLUMN enforced INTEGER NOT NULL DEFAULT 1 CHECK (enforced IN (0, 1));
ALTER TABLE org_sso ADD COLUMN jit_membership INTEGER NOT NULL DEFAULT 1 CHECK (jit_membership IN (0, 1));

ALTER TABLE sso_configs ADD COLUMN tested_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE sso_configs ADD COLUMN tested_identity_matches INTEGER NOT NULL DEFAULT 0
    CHECK (tested_identity_matches IN (0, 1));

-- A sign-in pending when SSO was turned off or reconfigured is kept, marked,
-- so its callback is refused with that reason rather than as unknown.
ALTER TABLE sso_requests ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1));

CREATE TABLE org_sso_domains (
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    domain     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, domain)
) STRICT;
CREATE INDEX org_sso_domains_domain ON org_sso_domains (domain);

-- An SSO session belongs to the browser (hub session) that completed it:
-- logging out or a password change ends it through the foreign key. Old
-- per-user sessions cannot be tied to a browser, so members sign in again.
DROP TABLE sso_sessions;
CREATE TABLE sso_sessions (
    hub_session_hash TEXT    NOT NULL REFERENCES sessions (id_hash) ON DELETE CASCADE,
    org_id           INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    config_id        INTEGER NOT NULL,
    subject          TEXT    NOT NULL,
    email            TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    PRIMARY KEY (hub_session_hash, org_id),
    FOREIGN KEY (org_id, config_id) REFERENCES sso_configs (org_id, id) ON DELETE CASCADE
) STRICT;
-- The gate's lookup for a token (any browser) and the org's session list.
CREATE INDEX sso_sessions_user_org ON sso_sessions (user_id, org_id);
CREATE INDEX sso_sessions_org_config ON sso_sessions (org_id, config_id);
CREATE INDEX sso_sessions_expires_at ON sso_sessions (expires_at);
