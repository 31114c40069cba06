-- The orgsso schema for SQLite. Times are unix seconds; enums are CHECKed text.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE orgs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    display_name TEXT    NOT NULL,
    default_role TEXT    NOT NULL CHECK (default_role IN ('read', 'contributor', 'write', 'admin')),
    created_at   INTEGER NOT NULL
) STRICT;

-- Users and organizations share one namespace of names (`/{owner}/...`).
CREATE TABLE namespaces (
    name    TEXT    NOT NULL PRIMARY KEY,
    user_id INTEGER UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    org_id  INTEGER UNIQUE REFERENCES orgs (id) ON DELETE CASCADE,
    CHECK ((user_id IS NULL) <> (org_id IS NULL))
) STRICT;

CREATE TABLE emails (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address     TEXT    NOT NULL UNIQUE,
    verified_at INTEGER,
    is_primary  INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX emails_user_id ON emails (user_id);
CREATE UNIQUE INDEX emails_one_primary_per_user ON emails (user_id) WHERE is_primary = 1;

CREATE TABLE email_verifications (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    email_id   INTEGER NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX email_verifications_email_id ON email_verifications (email_id);

CREATE TABLE sessions (
    id_hash    TEXT    NOT NULL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE access_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    scope        TEXT    NOT NULL CHECK (scope IN ('read', 'write')),
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    UNIQUE (user_id, name)
) STRICT;

CREATE TABLE memberships (
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('read', 'contributor', 'write', 'admin')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
) STRICT;
CREATE INDEX memberships_user_id ON memberships (user_id);

CREATE TABLE repos (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_name    TEXT    NOT NULL,
    owner_user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    owner_org_id  INTEGER REFERENCES orgs (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('model', 'dataset', 'space')),
    name          TEXT    NOT NULL,
    visibility    TEXT    NOT NULL CHECK (visibility IN ('public', 'private')),
    readme        TEXT    NOT NULL,
    created_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CHECK ((owner_user_id IS NULL) <> (owner_org_id IS NULL)),
    UNIQUE (owner_name, kind, name)
) STRICT;
CREATE INDEX repos_owner_user_id ON repos (owner_user_id);
CREATE INDEX repos_owner_org_id ON repos (owner_org_id);
CREATE INDEX repos_created_by ON repos (created_by);

CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    to_addr    TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
