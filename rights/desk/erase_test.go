package desk_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
	"steward/learning"
	"steward/organisation"
	"steward/policy"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
	"steward/voucher"
)

// populate gives the fixture's person an item of every record kind the
// policy declares (profile values, records, a consent, a mail, a request),
// with distinctive values, and returns those values.
func (f *fixture) populate(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	p := f.d.Policy
	values := []string{f.person.Email}
	var voucherRecord int64
	err := f.s.InTx(ctx, func(tx *store.Tx) error {
		for _, rec := range account.ProfileRecords(p) {
			vals := account.Values{}
			for _, fl := range account.InputFields(rec) {
				if fl.Type == policy.TypeEmail || fl.Sensitive || fl.ID == "password" {
					continue
				}
				v := distinct(fl)
				vals[fl.ID] = v
				values = append(values, v)
			}
			if err := tx.PutProfile(ctx, p, f.person.ID, rec.ID, vals, f.clk.Now()); err != nil {
				return err
			}
		}
		for i := range p.Records {
			rec := &p.Records[i]
			if rec.Subject != policy.SubjectAccount || rec.ID == "account" || rec.ID == "consent" || desk.OwnKind(rec.ID) {
				continue
			}
			vals := map[string]string{}
			for _, fl := range rec.Fields {
				if !fl.Sensitive && fl.Type == policy.TypeText {
					vals[fl.ID] = "rec-" + rec.ID + "-" + fl.ID + "-x7q"
					values = append(values, vals[fl.ID])
				}
			}
			r := &store.Record{Subject: f.person.ID, Kind: rec.ID, CreatedAt: f.clk.Now().AddDate(0, -2, 0), Values: vals}
			if err := tx.InsertRecord(ctx, p, r); err != nil {
				return err
			}
			if rec.ID == voucher.Kind {
				voucherRecord = r.ID
			}
		}
		// Steward's own records about the person (R4): a login session, a
		// staff member's view, a disclosure, a retention warning; the
		// request and its mail follow below.
		now := f.clk.Now()
		if err := tx.InsertSession(ctx, &account.Session{ID: "sess-hash-" + f.person.ID, AccountID: f.person.ID,
			CreatedAt: now, LastSeen: now, AuthAt: now, CSRF: "csrf"}); err != nil {
			return err
		}
		if err := tx.RecordStaffView(ctx, store.StaffView{At: now, StaffID: "a-staff", SubjectID: f.person.ID, Fields: []string{"account.email"}}); err != nil {
			return err
		}
		ref := "PV-x7q-" + f.person.ID
		values = append(values, ref)
		if err := tx.InsertDisclosure(ctx, &store.Disclosure{ID: "dis_fixture", SubjectID: f.person.ID,
			SubjectPseudonym: f.person.Pseudonym, Ground: "law", Recipient: "Politie", LegalBasis: policy.LegalObligation,
			Categories: []string{"account"}, Reference: ref, DisclosedOn: f.d.Today(), RecordedAt: now, RecordedBy: "a-staff"}); err != nil {
			return err
		}
		// A membership of an organisation, by an accepted invitation (R6).
		org := &organisation.Organisation{ID: "org-fixture", Name: "Ziekenhuis Fixture", CreatedAt: now.AddDate(0, -3, 0)}
		if err := tx.InsertOrganisation(ctx, org); err != nil {
			return err
		}
		inv := &organisation.Invitation{ID: "inv-fixture", Organisation: org.ID, Account: f.person.ID, InvitedBy: "staff:a-staff",
			CreatedAt: now.AddDate(0, -1, 0), ExpiresAt: now.AddDate(0, -1, 14)}
		if err := tx.InsertInvitation(ctx, inv, "hash-fixture"); err != nil {
			return err
		}
		if err := tx.AnswerInvitation(ctx, inv.ID, organisation.Accepted, now.AddDate(0, -1, 1)); err != nil {
			return err
		}
		if err := tx.SetMembership(ctx, f.person.ID, "", org.ID); err != nil {
			return err
		}
		// A redeemed voucher with the notice confirmed (R6, issue 17).
		if voucherRecord != 0 {
			c := &learning.Course{Slug: "fixture-course", Title: policy.Text{NL: "Cursus", EN: "Course"}, Published: true}
			if err := tx.PutCourse(ctx, c, now); err != nil {
				return err
			}
			b := &voucher.Batch{ID: "vb-fixture", Organisation: org.ID, Course: c.Slug, Count: 1, ExpiresAt: now.AddDate(0, 1, 0), CreatedBy: "staff:a-staff", CreatedAt: now}
			if err := tx.InsertVoucherBatch(ctx, b, []string{"code-hash-fixture"}); err != nil {
				return err
			}
			if err := tx.RedeemVoucher(ctx, store.VoucherRedemption{Hash: "code-hash-fixture", RecordID: voucherRecord, At: now,
				NoticeHash: "notice-hash-fixture", NoticeLang: "nl", PolicyVersion: p.Version.Number}); err != nil {
				return err
			}
		}
		if rules := p.Retention; len(rules) > 0 {
			if err := tx.PutWarning(ctx, store.Warning{TargetKind: rules[0].Record, TargetID: f.person.ID, Rule: rules[0].ID,
				Subject: f.person.ID, AnchorAt: now, DueAt: now.AddDate(0, 1, 0), WarnedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cp := p.ConsentPurposes(); len(cp) > 0 {
		cs := consent.NewService(p, f.s, f.clk)
		if err := cs.Give(ctx, f.person.ID, cp[0].ID, policy.ChannelSettings, "nl"); err != nil {
			t.Fatal(err)
		}
	}
	r := f.add(t, rights.TypeAccess, f.d.Today().Format(time.DateOnly))
	if err := f.d.AskVerification(ctx, staff, r.ID); err != nil { // leaves a mail in the outbox
		t.Fatal(err)
	}
	return values
}

// distinct is a recognisable valid value for a field.
func distinct(f *policy.Field) string {
	switch f.Type {
	case policy.TypeChoice:
		return f.Choices[len(f.Choices)-1].Value
	case policy.TypeInteger:
		return "47"
	case policy.TypePostcode:
		return "3527 GV"
	case policy.TypeDate:
		return "1979-04-13"
	case policy.TypeBool:
		return "true"
	}
	return "val-" + f.ID + "-z9k"
}

// TestAnonymisationLeavesNoPersonalValue erases a fully populated person
// under Zorginspirator's policy (Z9: anonymise at once) and scans every
// column of every table for their distinctive values.
func TestAnonymisationLeavesNoPersonalValue(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "zorginspirator", "2026-03-10")
		values := f.populate(t)
		ov, err := f.d.Collect(ctx, f.person.ID, desk.CollectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range ov.Categories {
			if len(c.Items) == 0 {
				t.Errorf("populated person has no %s item", c.Kind)
			}
		}
		erased, err := f.d.Erase(ctx, f.person.ID, audit.SubjectActor(audit.Pseudonym(f.person.Pseudonym)))
		if err != nil {
			t.Fatal(err)
		}
		if len(erased.Anonymised) == 0 {
			t.Fatalf("Zorginspirator erasure anonymised nothing: %+v", erased)
		}
		needles := append(values, f.person.ID, f.person.Pseudonym)
		scanAllTables(t, s, needles, map[string]bool{
			// The anonymised account row keeps its opaque id so it still
			// counts (Z9); nothing else names it.
			"accounts.id": true, "accounts.email_key": true,
			// The audit log names the erasure by the account's opaque
			// object id and the old pseudonym, which no longer links to
			// anyone (G2).
			"audit_log.object_id": true, "audit_log.subject": true, "audit_log.actor": true,
			// The request keeps the old pseudonym as proof it was answered.
			"requests.subject_pseudonym": true,
			// So does a disclosure: proof of what went where (R7, Art. 5(2)).
			"disclosures.subject_pseudonym": true,
			// Statistics keep the policy's generalised fields (Z9): a
			// choice kept as chosen (gender), under a random key with no
			// link (store's TestStatisticsJoinNothing); age, postcode and
			// job only coarsened, which this scan would find otherwise.
			"anonymised_statistics.stat_attributes": true,
		})
		// Erasing twice: a clear error, nothing changed.
		_, err = f.d.Erase(ctx, f.person.ID, staff)
		if code := steward.ErrorCode(err); code != steward.ECONFLICT && code != steward.ENOTFOUND {
			t.Fatalf("second erasure: %v", err)
		}
	})
}

// scanAllTables fails if any needle occurs in any column of any table,
// except the columns allowed.
func scanAllTables(t *testing.T, s *store.Store, needles []string, allowed map[string]bool) {
	t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.Dialect() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := s.Read().QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("found only tables %v", tables)
	}
	for _, tbl := range tables {
		rows, err := s.Read().QueryContext(ctx, `SELECT * FROM `+tbl)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if allowed[tbl+"."+cols[i]] {
					continue
				}
				text := strings.ToLower(string(v))
				for _, n := range needles {
					// Short values (an age, a choice) occur in hashes by chance.
					if len(n) >= 5 && strings.Contains(text, strings.ToLower(n)) {
						t.Errorf("after erasure %s.%s still holds %q", tbl, cols[i], n)
					}
				}
			}
		}
		rows.Close()
	}
}

// TestExportCoversEveryRecordKind fails when a record kind is added to the
// policy (or a table holding a person's data to the schema) without
// reaching "My data" and the export.
func TestExportCoversEveryRecordKind(t *testing.T) {
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			s := testkit.SQLite(t)
			ctx := context.Background()
			f := newFixture(t, s, site, "2026-03-10")
			f.populate(t)
			ov, err := f.d.Collect(ctx, f.person.ID, desk.CollectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, c := range ov.Categories {
				got[c.Kind] = len(c.Items)
			}
			for _, rec := range f.d.Policy.Records {
				n, ok := got[rec.ID]
				if !ok {
					t.Errorf("record kind %s is not in the export", rec.ID)
				}
				if rec.Subject == policy.SubjectAccount && n == 0 {
					t.Errorf("a fully populated person has no %s item in the export", rec.ID)
				}
			}
			if len(ov.Requests) == 0 || len(ov.Consents) == 0 && len(f.d.Policy.ConsentPurposes()) > 0 {
				t.Errorf("export lacks requests or consents")
			}
			// Every table that holds a person's data is either read by
			// Collect or named here with the reason it is not exported.
			covered := map[string]string{
				"accounts": "account kind", "profile_values": "profile kinds", "records": "record kinds",
				"record_values": "record kinds", "consent_records": "consents", "consent_state": "the newest consent record per purpose, a copy of consent_records",
				"consent_notices":   "notice texts by hash, no person",
				"processing_limits": "limits", "newsletter_subscriptions": "newsletter_subscription kind",
				"newsletter_sends": "issues, no person", "newsletter_deliveries": "delivery bookkeeping, by sign-up id",
				"requests": "requests", "request_steps": "request timelines (staff notes stay internal)",
				"disclosures": "disclosures, disclosure kind", "staff_views": "staff views, staff_view kind", "sessions": "login_session kind",
				"account_tokens": "hashed link secrets", "outbox": "mail kind",
				"lms_outbox":    "deletions, corrections and enrolments told to the learning environment: the LMS account's id, field names and the enrolment's record id, no value; My data shows whether the LMS confirmed",
				"email_changes": "a new login address awaiting its link (at most a day), dropped at erasure",
				"audit_log":     "pseudonymous log (G2)", "audit_head": "log head", "audit_checkpoints": "log checkpoints",
				"policy_versions": "no person", "policy_publications": "published policy files, publisher as an audit actor, no person", "schema_migrations": "no person", "settings": "installation facts (the data key's id), no person",
				"retention_overrides": "contracts, no person", "organisations": "organisation names, no person",
				"organisation_invitations": "organisations, organisation_invitations",
				"courses":                  "the course catalogue, no person (enrolments are records)", "course_points": "accreditation points per course, no person", "retention_warnings": "retention_warning kind", "retention_lease": "job lease",
				"rate_limits":      "rate-limit buckets keyed by a SHA-256 of a client or e-mail address, never the value, gone within hours",
				"second_factors":   "a TOTP key sealed with the data key: key material, never handed out (the security page shows that one is set up)",
				"recovery_codes":   "SHA-256 hashes of recovery codes, worthless to the person",
				"login_challenges": "half-done logins (password right, code to come), gone within minutes",
				"policy_effective": "effective dates of published policy versions, no person",
				// Issue 16 item 3: the learning environment's sign-in.
				"oidc_clients": "registered OpenID Connect clients (the LMS), no person", "oidc_keys": "ID-token signing keys, no person",
				"oidc_grants":              "sign-in requests of the learning environment, pruned after a day and dropped at erasure; the sign-in is the lms_account record's last login",
				"oidc_tokens":              "SHA-256 hashes of access tokens, worthless to the person, pruned after a day and dropped at erasure",
				"policy_notice_dismissals": "that the banner about a version was hidden: a display choice, dropped with the account",
				"voucher_batches":          "an organisation's batches of voucher codes, no person",
				"vouchers":                 "code hashes; a redeemed one's notice is exported as voucher_notices",
				"partner_exports":          "anonymised exports handed to a partner: counts and a report hash, no person (Z6)",
				// Issue 16 item 4: the LMS's keys belong to a processor; an
				// accepted statement is kept by id and content hash only
				// (its result is a learning_result record, exported).
				"api_keys": "keys of a processor's client system, secret hashes, no person", "xapi_statements": "accepted xAPI statement ids with a content hash and verb, no person",
				"policy_notice_mails":    "bookkeeping of which version a person was mailed about (no address); the mail itself is the outbox's, mail kind",
				"partner_export_classes": "the classes an export released (generalised values and counts), no person (Z6)",
				"anonymised_statistics":  "generalised attributes of anonymised accounts under a random key, linked to no one (Z9)",
				// Issue 18: the catalogue of functies and opleidingen is site
				// content; SQLite's FTS5 index of it keeps its own tables.
				"catalogue_items": "the catalogue of functies and opleidingen, no person", "catalogue_fts": "the catalogue's search index (FTS5), no person",
				"catalogue_fts_data": "FTS5 index storage, no person", "catalogue_fts_idx": "FTS5 index storage, no person",
				"catalogue_fts_content": "FTS5 index storage, no person", "catalogue_fts_docsize": "FTS5 index storage, no person",
				"catalogue_fts_config": "FTS5 index storage, no person",
				// Issue 18 item 8: page views per route and day, no person.
				"page_counts": "usage counts per page and day: no identifier, no address, no cookie",
				// Issue 17: the shop. Orders, invoices and downloads are
				// records (exported, erased by their kind's plan); these
				// tables hang off them by record id and go with them.
				"products":         "the shop's publications and materials, no person",
				"order_lines":      "an order record's lines, priced; its items and amount_cents fields export them",
				"payments":         "the provider's payment ids and statuses of an order record; its payment_status and payment_reference fields export them",
				"invoice_counters": "the last invoice number per year, no person",
				"invoices":         "the number of an invoice record, exported as its invoice_number field",
			}
			rows, err := s.Read().QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var n string
				rows.Scan(&n)
				if _, ok := covered[n]; !ok {
					t.Errorf("table %s is new: add it to the export (rights/desk/mydata.go) or say here why it holds nothing to export", n)
				}
			}
		})
	}
}
