-- The SP key pairs of each organization for SQLite: one signs AuthnRequests,
-- one decrypts EncryptedAssertions. During a rotation a use has a current and
-- a previous key (both published, both decrypt); retiring deletes the previous.
-- Private keys are PKCS#8, sealed by the service with the secrets key.
CREATE TABLE sp_keys (
    org_id                 INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    usage                  TEXT    NOT NULL CHECK (usage IN ('signing', 'encryption')),
    current                INTEGER NOT NULL CHECK (current IN (0, 1)),
    private_key_ciphertext BLOB    NOT NULL,
    certificate_pem        TEXT    NOT NULL,
    created_at             INTEGER NOT NULL,
    PRIMARY KEY (org_id, usage, current)
) STRICT;
