-- Every published version of a site's policy (G1, Z11; issue 20): the file
-- exactly as published, its hash, when and by whom (an audit actor, never
-- a personal value) and the change summary the publisher gave in both
-- languages. n counts 1, 2, ... per site; /privacy/versions/N renders the
-- stored content, so an earlier version can be read as it was.
CREATE TABLE policy_publications (
	site_id      TEXT NOT NULL,
	n            INTEGER NOT NULL,
	sha256       TEXT NOT NULL,
	content      TEXT NOT NULL,
	published_at BIGINT NOT NULL,
	published_by TEXT NOT NULL,
	summary_nl   TEXT NOT NULL,
	summary_en   TEXT NOT NULL,
	PRIMARY KEY (site_id, n)
);
