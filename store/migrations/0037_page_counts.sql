-- What the site counts itself to improve usability (Z4, Z5; issue 18 item
-- 8): per day (UTC, as YYYY-MM-DD) and page — the route's pattern, such as
-- "/functies/{id}", never the address asked for — how many times it was
-- opened. Nothing here names a person: no identifier, no address, no
-- cookie, no time finer than the day.
CREATE TABLE page_counts (
	day   TEXT NOT NULL,
	page  TEXT NOT NULL,
	views BIGINT NOT NULL CHECK (views > 0),
	PRIMARY KEY (day, page)
);
