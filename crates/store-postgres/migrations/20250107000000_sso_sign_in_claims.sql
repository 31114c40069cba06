-- What the IdP sent at each member's last SSO sign-in, as the role mapping
-- reads it, so an admin can preview a mapping against real sign-ins before
-- saving it. NULL when it was too large to keep.
CREATE TABLE sso_sign_in_claims (
    org_id      BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    claims      TEXT COLLATE "C",
    recorded_at BIGINT NOT NULL,
    CONSTRAINT sso_sign_in_claims_pkey PRIMARY KEY (org_id, user_id)
);
CREATE INDEX sso_sign_in_claims_user_id ON sso_sign_in_claims (user_id);
