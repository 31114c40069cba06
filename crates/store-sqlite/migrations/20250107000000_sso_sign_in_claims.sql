-- What the IdP sent at each member's last SSO sign-in, as the role mapping
-- reads it, so an admin can preview a mapping against real sign-ins before
-- saving it. NULL when it was too large to keep.
CREATE TABLE sso_sign_in_claims (
    org_id      INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    claims      TEXT,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
) STRICT;
CREATE INDEX sso_sign_in_claims_user_id ON sso_sign_in_claims (user_id);
