-- Issue 5: appends about many different people (a retention batch of a
-- thousand) were slowed by audit_log_subject (subject, seq): every entry's
-- index insert landed on another page of an index as large as the log, so
-- a batch dirtied a page per person and the WAL wrote and checkpointed them
-- all. Leading with the entry's epoch (seq >> 12: 4096 entries) keeps a
-- batch's inserts within the current epoch's few dozen pages. Serves
-- AuditLog.List's subject filter (the staff page /staff/audit and 'audit
-- tail --subject'), which probes the epochs newest first; the shift is
-- store.auditEpochBits.
DROP INDEX audit_log_subject;
CREATE INDEX audit_log_subject ON audit_log ((seq >> 12), subject, seq);
