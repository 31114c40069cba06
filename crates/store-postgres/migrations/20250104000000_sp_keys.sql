-- The SP key pairs of each organization for PostgreSQL: one signs
-- AuthnRequests, one decrypts EncryptedAssertions. During a rotation a use has
-- a current and a previous key (both published, both decrypt); retiring
-- deletes the previous. Private keys are PKCS#8, sealed by the service with
-- the secrets key.
CREATE TABLE sp_keys (
    org_id                 BIGINT  NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    usage                  TEXT    NOT NULL
        CONSTRAINT sp_keys_usage_check CHECK (usage IN ('signing', 'encryption')),
    current                BOOLEAN NOT NULL,
    private_key_ciphertext BYTEA   NOT NULL,
    certificate_pem        TEXT    NOT NULL,
    created_at             BIGINT  NOT NULL,
    CONSTRAINT sp_keys_pkey PRIMARY KEY (org_id, usage, current)
);
