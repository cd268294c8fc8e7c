-- Invoices (issue 17: R5, Art. 6(1)(c), Art. 17(3)(b) GDPR, Art. 52 AWR).
-- An invoice is a record of the policy's invoice kind (record_values: the
-- invoice data only) which erasure keeps for the policy's keep period;
-- this table numbers it.

-- The last invoice number given per year. Taking the next number updates
-- this row in the transaction that marks the order paid: a rolled-back
-- payment gives its number back, so the numbers have no gaps, and two
-- payments at once queue on the row (PostgreSQL) or the database
-- (SQLite).
CREATE TABLE invoice_counters (
	year INTEGER PRIMARY KEY,
	last INTEGER NOT NULL CHECK (last > 0)
);

-- One issued invoice: its number (year and sequence), its invoice record
-- and the order it was issued for (no reference: the order goes with an
-- erased account, the invoice stays). Never updated once issued.
CREATE TABLE invoices (
	number       TEXT PRIMARY KEY,
	year         INTEGER NOT NULL,
	seq          INTEGER NOT NULL CHECK (seq > 0),
	record_id    BIGINT NOT NULL UNIQUE REFERENCES records (id) ON DELETE CASCADE,
	order_record BIGINT NOT NULL UNIQUE,
	issued_at    BIGINT NOT NULL,
	UNIQUE (year, seq)
);

-- Immutable once issued: neither the number row nor the invoice record's
-- values may be updated (retention deletes them whole when the keep period
-- ends).
--sqlite: CREATE TRIGGER invoices_immutable BEFORE UPDATE ON invoices BEGIN SELECT RAISE(ABORT, 'an issued invoice is never changed'); END;
--sqlite: CREATE TRIGGER invoice_values_immutable BEFORE UPDATE ON record_values WHEN (SELECT kind FROM records WHERE id = OLD.record_id) = 'invoice' BEGIN SELECT RAISE(ABORT, 'an issued invoice is never changed'); END;
--sqlite: CREATE TRIGGER invoice_values_no_insert BEFORE INSERT ON record_values WHEN EXISTS (SELECT 1 FROM invoices WHERE record_id = NEW.record_id) BEGIN SELECT RAISE(ABORT, 'an issued invoice is never changed'); END;
--postgres: CREATE FUNCTION invoice_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'an issued invoice is never changed'; END $$;
--postgres: CREATE FUNCTION invoice_value_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM invoices WHERE record_id = NEW.record_id) OR (TG_OP = 'UPDATE' AND (SELECT kind FROM records WHERE id = OLD.record_id) = 'invoice') THEN RAISE EXCEPTION 'an issued invoice is never changed'; END IF; RETURN NEW; END $$;
--postgres: CREATE TRIGGER invoices_immutable BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION invoice_immutable();
--postgres: CREATE TRIGGER invoice_values_immutable BEFORE INSERT OR UPDATE ON record_values FOR EACH ROW EXECUTE FUNCTION invoice_value_immutable();
