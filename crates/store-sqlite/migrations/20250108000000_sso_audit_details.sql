-- A structured SSO audit log: who acted (a user in the hub, the operator,
-- or an SSO sign-in), what the entry is about, whether it succeeded, and
-- its facts as a JSON object next to the human-readable detail. Entries
-- written before keep their text and read as a user's successful action.
ALTER TABLE sso_audit ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'user'
    CHECK (actor_kind IN ('user', 'operator', 'sign_in'));
ALTER TABLE sso_audit ADD COLUMN target TEXT;
ALTER TABLE sso_audit ADD COLUMN outcome TEXT NOT NULL DEFAULT 'success'
    CHECK (outcome IN ('success', 'failure'));
ALTER TABLE sso_audit ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
UPDATE sso_audit SET outcome = 'failure', actor_kind = 'sign_in' WHERE event = 'sso.login_failed';

-- Pages and exports walk one org's entries in id order, filtered by event.
CREATE INDEX sso_audit_org_id ON sso_audit (org_id, id);
CREATE INDEX sso_audit_org_event ON sso_audit (org_id, event, id);

-- Append-only for the application: no entry changes or goes away, except
-- what the schema's own foreign keys do (an account deleted: its id is
-- cleared; an organization deleted: its log goes with it).
CREATE TRIGGER sso_audit_no_update
BEFORE UPDATE OF id, org_id, at, actor_kind, event, target, outcome, detail, details ON sso_audit
BEGIN
    SELECT RAISE(ABORT, 'the SSO audit log is append-only');
END;
CREATE TRIGGER sso_audit_no_delete
BEFORE DELETE ON sso_audit
WHEN EXISTS (SELECT 1 FROM orgs WHERE id = OLD.org_id)
BEGIN
    SELECT RAISE(ABORT, 'the SSO audit log is append-only');
END;
