-- Mail to one person because of something they just did (a verification or
-- reset link, a request's confirmation) goes before mail sent to many at
-- once (a newsletter issue, a retention run's warnings): a newsletter to
-- 100,000 subscribers must not hold up a sign-up's link for the hour it
-- takes to deliver. bulk is 1 for the second kind; the claim takes the
-- due personal mail first (store.ClaimDueMail).
ALTER TABLE outbox ADD COLUMN bulk INTEGER NOT NULL DEFAULT 0 CHECK (bulk IN (0, 1));

DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (bulk, next_attempt_at, id) WHERE status = 'pending';
