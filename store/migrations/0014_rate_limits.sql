-- Rate limits shared by every serve process on one database (issue 14,
-- finding 13): with PostgreSQL several processes serve one site, and a
-- limit kept in each process's memory would let a client try N times as
-- often. One row per bucket and key, as a generic cell rate algorithm:
-- tat is the bucket's "theoretical arrival time" in Unix milliseconds;
-- a row whose tat has passed is a full bucket and is pruned. key is a
-- SHA-256 of the client address or e-mail address, never the value, and
-- a row lives only until its bucket is full again (at most a few hours).
CREATE TABLE rate_limits (
	bucket  TEXT NOT NULL,
	key     TEXT NOT NULL,
	tat     BIGINT NOT NULL,
	allowed BOOLEAN NOT NULL,
	PRIMARY KEY (bucket, key)
);
-- Serves PruneRateLimits: DELETE ... WHERE tat < now.
CREATE INDEX rate_limits_tat ON rate_limits (tat);
