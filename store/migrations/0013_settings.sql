-- Facts about the installation itself, one row per name; never personal
-- data and never a secret. data_key_id is the id of the data key that
-- seals sensitive fields (R3), recorded the first time a key is used, so
-- that serve refuses to start with another key, or without its key file,
-- instead of failing later at every page that opens a sealed value. The
-- key itself stays in its file, apart from the database (README, Keys).
CREATE TABLE settings (
	name   TEXT NOT NULL PRIMARY KEY,
	value  TEXT NOT NULL,
	set_at BIGINT NOT NULL
);
