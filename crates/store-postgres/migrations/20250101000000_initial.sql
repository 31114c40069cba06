-- The orgsso schema for PostgreSQL. Times are unix seconds; enums are CHECKed
-- text. Constraints are named because errors are mapped by constraint name.
-- Names sort with the "C" collation so lists are ordered as in SQLite.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT COLLATE "C" NOT NULL,
    display_name  TEXT   NOT NULL,
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username)
);

CREATE TABLE orgs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    display_name TEXT   NOT NULL,
    default_role TEXT   NOT NULL
        CONSTRAINT orgs_default_role_check CHECK (default_role IN ('read', 'contributor', 'write', 'admin')),
    created_at   BIGINT NOT NULL,
    CONSTRAINT orgs_name_key UNIQUE (name)
);

-- Users and organizations share one namespace of names (`/{owner}/...`).
CREATE TABLE namespaces (
    name    TEXT COLLATE "C" NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    org_id  BIGINT REFERENCES orgs (id) ON DELETE CASCADE,
    CONSTRAINT namespaces_pkey PRIMARY KEY (name),
    CONSTRAINT namespaces_user_id_key UNIQUE (user_id),
    CONSTRAINT namespaces_org_id_key UNIQUE (org_id),
    CONSTRAINT namespaces_one_owner CHECK ((user_id IS NULL) <> (org_id IS NULL))
);

CREATE TABLE emails (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address     TEXT    NOT NULL,
    verified_at BIGINT,
    is_primary  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT emails_address_key UNIQUE (address)
);
CREATE INDEX emails_user_id ON emails (user_id);
CREATE UNIQUE INDEX emails_one_primary_per_user ON emails (user_id) WHERE is_primary;

CREATE TABLE email_verifications (
    token_hash TEXT   NOT NULL PRIMARY KEY,
    email_id   BIGINT NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_verifications_email_id ON email_verifications (email_id);

CREATE TABLE sessions (
    id_hash    TEXT   NOT NULL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE access_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT COLLATE "C" NOT NULL,
    scope        TEXT   NOT NULL CONSTRAINT access_tokens_scope_check CHECK (scope IN ('read', 'write')),
    token_hash   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    CONSTRAINT access_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT access_tokens_user_name_key UNIQUE (user_id, name)
);

CREATE TABLE memberships (
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT   NOT NULL
        CONSTRAINT memberships_role_check CHECK (role IN ('read', 'contributor', 'write', 'admin')),
    created_at BIGINT NOT NULL,
    CONSTRAINT memberships_pkey PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_id ON memberships (user_id);

CREATE TABLE repos (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_name    TEXT COLLATE "C" NOT NULL,
    owner_user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    owner_org_id  BIGINT REFERENCES orgs (id) ON DELETE CASCADE,
    kind          TEXT COLLATE "C" NOT NULL
        CONSTRAINT repos_kind_check CHECK (kind IN ('model', 'dataset', 'space')),
    name          TEXT COLLATE "C" NOT NULL,
    visibility    TEXT   NOT NULL
        CONSTRAINT repos_visibility_check CHECK (visibility IN ('public', 'private')),
    readme        TEXT   NOT NULL,
    created_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT repos_one_owner CHECK ((owner_user_id IS NULL) <> (owner_org_id IS NULL)),
    CONSTRAINT repos_owner_kind_name_key UNIQUE (owner_name, kind, name)
);
CREATE INDEX repos_owner_user_id ON repos (owner_user_id);
CREATE INDEX repos_owner_org_id ON repos (owner_org_id);
CREATE INDEX repos_created_by ON repos (created_by);

CREATE TABLE outbox (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_addr    TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
