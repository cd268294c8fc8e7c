-- Every policy version the site has run under (G1): the statement's change
-- history and the audit log's "policy version in force" refer to these rows.
CREATE TABLE policy_versions (
	site_id    TEXT NOT NULL,
	version    TEXT NOT NULL,
	dated      TEXT NOT NULL,
	sha256     TEXT NOT NULL,
	first_seen BIGINT NOT NULL,
	PRIMARY KEY (site_id, version, sha256)
);
