-- The audit log's genesis record (issue 14): written here unsealed, once
-- per database, and sealed — signed with the audit key as "entry N has
-- hash H" — in the transaction that first appends an entry with the key.
-- It lives in settings, apart from the audit tables, so emptying those
-- leaves a genesis vouching for an entry that is gone, and deleting it
-- too leaves a migrated database without one: 'audit verify' reports
-- both. set_at is 0 until it is sealed. Limits: docs/audit.md.
INSERT INTO settings (name, value, set_at) VALUES ('audit_genesis', 'unsealed', 0);
