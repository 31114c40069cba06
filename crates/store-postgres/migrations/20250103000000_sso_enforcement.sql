-- Mandatory organization SSO for PostgreSQL: the mode (optional or
-- enforced), just-in-time membership, email domains, who tested a
-- configuration with which identity, and SSO sessions tied to the browser
-- session that completed them.

-- `enabled` stays the on/off switch; `enforced` says how it applies while on.
ALTER TABLE org_sso ADD COLUMN enforced BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE org_sso ADD COLUMN jit_membership BOOLEAN NOT NULL DEFAULT TRUE;

ALTER TABLE sso_configs ADD COLUMN tested_by BIGINT
    CONSTRAINT sso_configs_tested_by_fkey REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE sso_configs ADD COLUMN tested_identity_matches BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX sso_configs_tested_by ON sso_configs (tested_by);

-- A sign-in pending when SSO was turned off or reconfigured is kept, marked,
-- so its callback is refused with that reason rather than as unknown.
ALTER TABLE sso_requests ADD COLUMN cancelled BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE org_sso_domains (
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    domain     TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT org_sso_domains_pkey PRIMARY KEY (org_id, domain)
);
CREATE INDEX org_sso_domains_domain ON org_sso_domains (domain);

-- An SSO session belongs to the browser (hub session) that completed it:
-- logging out or a password change ends it through the foreign key. Old
-- per-user sessions cannot be tied to a browser, so members sign in again.
DROP TABLE sso_sessions;
CREATE TABLE sso_sessions (
    hub_session_hash TEXT   NOT NULL REFERENCES sessions (id_hash) ON DELETE CASCADE,
    org_id           BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id          BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    config_id        BIGINT NOT NULL,
    subject          TEXT   NOT NULL,
    email            TEXT COLLATE "C" NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    CONSTRAINT sso_sessions_pkey PRIMARY KEY (hub_session_hash, org_id),
    CONSTRAINT sso_sessions_config_fkey FOREIGN KEY (org_id, config_id)
        REFERENCES sso_configs (org_id, id) ON DELETE CASCADE
);
-- The gate's lookup for a token (any browser) and the org's session list.
CREATE INDEX sso_sessions_user_org ON sso_sessions (user_id, org_id);
CREATE INDEX sso_sessions_org_config ON sso_sessions (org_id, config_id);
CREATE INDEX sso_sessions_expires_at ON sso_sessions (expires_at);
