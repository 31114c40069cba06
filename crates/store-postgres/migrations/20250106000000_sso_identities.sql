-- Lasting SSO identities and role mapping for PostgreSQL.
--
-- An SSO identity ties a member of an organization to the IdP subject that
-- signed them in (OIDC `iss` + `sub`, SAML IdP entity ID + NameID). It is
-- kept when sessions expire: a later sign-in by another subject is refused
-- until an admin unlinks it. One subject per member, one member per subject.
CREATE TABLE sso_identities (
    org_id         BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer         TEXT COLLATE "C" NOT NULL,
    subject        TEXT COLLATE "C" NOT NULL,
    email          TEXT COLLATE "C" NOT NULL,
    first_login_at BIGINT NOT NULL,
    last_login_at  BIGINT NOT NULL,
    role           TEXT   NOT NULL
        CONSTRAINT sso_identities_role_check CHECK (role IN ('read', 'contributor', 'write', 'admin')),
    role_source    TEXT   NOT NULL
        CONSTRAINT sso_identities_role_source_check CHECK (role_source IN ('mapping', 'default', 'manual')),
    CONSTRAINT sso_identities_pkey PRIMARY KEY (org_id, user_id),
    CONSTRAINT sso_identities_subject_key UNIQUE (org_id, issuer, subject)
);
CREATE INDEX sso_identities_user_id ON sso_identities (user_id);

-- An organization's role mapping: a JSON path into the IdP's data and a
-- table of values to roles (a JSON object), checked by the service on save.
CREATE TABLE sso_role_mappings (
    org_id     BIGINT NOT NULL PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    path       TEXT   NOT NULL,
    roles      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
