package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/learning"
	"steward/organisation"
	"steward/policy"
	"steward/store"
	"steward/voucher"
)

// TestVouchersCreateRedeemReport (issue 17 items 1–3, R6, both stores):
// the organisation's manager creates a batch of three codes for a course
// (another organisation's manager and bad input are refused and store
// nothing); a pharmacist previews a code and is shown the policy's notice
// with the organisation's name, the report's fields and how long; a
// confirmation of an older notice, a typo, an unknown code, a used code,
// an expired code and a code of a full batch are refused and change
// nothing; redeeming enrols through EnrolTx, stores the voucher record
// (never the code) and the notice's hash; the report has exactly the
// policy's voucher_report columns, records a staff view in each
// redeemer's My data, and loses an erased redeemer and one who restricted
// processing at once.
func TestVouchersCreateRedeemReport(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		clk := clock.NewFixed(start)
		p := testkit.Policy(t, "ivm")
		svc, err := wiring.New(wiring.Config{Policy: p, Store: s, Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Learning.Import(ctx, audit.Staff("a-po"), []learning.Course{
			{Slug: "polyfarmacie", Title: policy.Text{NL: "Polyfarmacie", EN: "Polypharmacy"}, PriceCents: 4950, Published: true},
		}); err != nil {
			t.Fatal(err)
		}
		org := &organisation.Organisation{ID: "org-apo", Name: "Apotheek De Linde", CreatedAt: start}
		other := &organisation.Organisation{ID: "org-other", Name: "Elders", CreatedAt: start}
		mustTx(t, s, func(tx *store.Tx) error {
			if err := tx.InsertOrganisation(ctx, org); err != nil {
				return err
			}
			return tx.InsertOrganisation(ctx, other)
		})
		mgr := &account.Account{ID: "a-mgr", Role: account.RoleOrganisationManager, OrganisationID: org.ID}
		otherMgr := &account.Account{ID: "a-mgr2", Role: account.RoleOrganisationManager, OrganisationID: other.ID}
		anna := person(t, s, p, "a-anna", "Anna", "Jansen", start)
		bob := person(t, s, p, "a-bob", "Bob", "de Vries", start)
		cor := person(t, s, p, "a-cor", "Cor", "Bakker", start)
		dirk := person(t, s, p, "a-dirk", "Dirk", "Smit", start)

		batch := voucher.Batch{Organisation: org.ID, Course: "polyfarmacie", Count: 3, ExpiresAt: start.AddDate(0, 1, 0), Label: "Team noord"}
		since := testkit.AuditHead(t, s)
		for _, tc := range []struct {
			by   *account.Account
			b    voucher.Batch
			want string
		}{
			{otherMgr, batch, steward.EFORBIDDEN},
			{anna, batch, steward.EFORBIDDEN},
			{mgr, withB(batch, func(b *voucher.Batch) { b.Count = 0 }), steward.EINVALID},
			{mgr, withB(batch, func(b *voucher.Batch) { b.ExpiresAt = start }), steward.EINVALID},
			{mgr, withB(batch, func(b *voucher.Batch) { b.Course = "nope" }), steward.ENOTFOUND},
		} {
			if _, _, err := svc.Vouchers.Create(ctx, tc.by, tc.b); steward.ErrorCode(err) != tc.want {
				t.Fatalf("create %+v by %s: %v, want %s", tc.b, tc.by.ID, err, tc.want)
			}
		}
		testkit.AssertAudit(t, s, since)
		b, codes, err := svc.Vouchers.Create(ctx, mgr, batch)
		if err != nil || len(codes) != 3 {
			t.Fatalf("create: %v %v", codes, err)
		}
		testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.VoucherCreate, Actor: audit.Staff(mgr.ID), ObjectKind: "voucher_batch", ObjectID: b.ID})
		for _, c := range codes {
			if len(strings.ReplaceAll(c, "-", "")) != voucher.DataLen+1 {
				t.Fatalf("code %q", c)
			}
		}

		// The notice, in the policy's words, names the organisation.
		o, err := svc.Vouchers.Preview(ctx, anna, strings.ToLower(codes[0]), "en")
		if err != nil {
			t.Fatal(err)
		}
		n := o.Notice
		if n.Organisation != org.Name || n.Course != "Polypharmacy" || n.Text != p.Purpose(voucher.Purpose).Notice.EN ||
			!slices.Contains(n.Fields, "Score") || !slices.Contains(n.Fields, "First name") || slices.Contains(n.Fields, "E-mail address") || len(n.Period) == 0 {
			t.Fatalf("notice: %+v", n)
		}

		// Refusals change nothing.
		state := func() string {
			t.Helper()
			var out []string
			for _, who := range []*account.Account{anna, bob, cor, dirk} {
				recs, err := s.RecordsOf(ctx, who.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range recs {
					out = append(out, who.ID+":"+r.Kind)
				}
			}
			bs, err := s.VoucherBatches(ctx, org.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range bs {
				out = append(out, b.ID+":"+string(rune('0'+b.Redeemed)))
			}
			return strings.Join(out, ",")
		}
		before, head := state(), testkit.AuditHead(t, s)
		typo := []byte(strings.ReplaceAll(codes[1], "-", ""))
		typo[3] = voucher.Alphabet[(strings.IndexByte(voucher.Alphabet, typo[3])+1)%32]
		unknown := voucher.NewCode()
		for _, tc := range []struct {
			code, hash, want string
		}{
			{codes[0], "not-the-notice", steward.ECONFLICT},
			{string(typo), n.Hash, steward.EINVALID},
			{strings.ReplaceAll(codes[1], "-", "")[:10], n.Hash, steward.EINVALID},
			{unknown, n.Hash, steward.ENOTFOUND},
		} {
			_, err := svc.Vouchers.Redeem(ctx, anna, tc.code, "en", tc.hash)
			if steward.ErrorCode(err) != tc.want {
				t.Fatalf("redeem %q: %v, want %s", tc.code, err, tc.want)
			}
		}
		if got := state(); got != before {
			t.Fatalf("refusals changed %q to %q", before, got)
		}
		testkit.AssertAudit(t, s, head)

		// Anna and Bob redeem.
		for i, who := range []*account.Account{anna, bob} {
			o, err := svc.Vouchers.Preview(ctx, who, codes[i], "nl")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Vouchers.Redeem(ctx, who, codes[i], "nl", o.Notice.Hash); err != nil {
				t.Fatalf("redeem by %s: %v", who.ID, err)
			}
			if e, err := svc.Learning.EnrolmentIn(ctx, who, "polyfarmacie"); err != nil || e == nil {
				t.Fatalf("enrolment of %s: %v %v", who.ID, e, err)
			}
		}
		seen, err := s.VouchersOf(ctx, anna.ID)
		if err != nil || len(seen) != 1 || seen[0].NoticeLang != "nl" || seen[0].PolicyVersion != p.Version.Number || !seen[0].RedeemedAt.Equal(start) {
			t.Fatalf("anna's redemption: %+v %v", seen, err)
		}
		if nl := voucher.NewNotice(p, "nl", org.Name, "Polyfarmacie", "account"); seen[0].NoticeHash != nl.Hash {
			t.Fatalf("notice hash %s, want %s", seen[0].NoticeHash, nl.Hash)
		}
		recs, _ := s.RecordsOf(ctx, anna.ID)
		for _, r := range recs {
			if r.Kind == voucher.Kind && (r.Values["code"] != "" || r.Values["course"] != "polyfarmacie" || r.Values["redeemed_at"] != "2026-03-02") {
				t.Fatalf("voucher record: %+v", r)
			}
		}

		// A used code, a full batch and an expired code: one answer.
		before, head = state(), testkit.AuditHead(t, s)
		if _, err := svc.Vouchers.Redeem(ctx, cor, codes[0], "nl", n.Hash); steward.ErrorCode(err) != steward.ENOTFOUND || err.(*steward.Error).Key != "error.voucher_invalid" {
			t.Fatalf("second redemption: %v", err)
		}
		if got := state(); got != before {
			t.Fatalf("a second redemption changed %q to %q", before, got)
		}
		testkit.AssertAudit(t, s, head)
		full := &voucher.Batch{ID: "vb-full", Organisation: org.ID, Course: "polyfarmacie", Count: 1, ExpiresAt: start.AddDate(1, 0, 0), CreatedBy: "staff:x", CreatedAt: start}
		fullCodes := []string{voucher.NewCode(), voucher.NewCode()}
		mustTx(t, s, func(tx *store.Tx) error {
			var hs []string
			for _, c := range fullCodes {
				nc, _ := voucher.Normalise(c)
				hs = append(hs, voucher.Hash(nc))
			}
			return tx.InsertVoucherBatch(ctx, full, hs)
		})
		fo, err := svc.Vouchers.Preview(ctx, cor, fullCodes[0], "nl")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Vouchers.Redeem(ctx, cor, fullCodes[0], "nl", fo.Notice.Hash); err != nil {
			t.Fatal(err)
		}
		before = state()
		head = testkit.AuditHead(t, s)
		if _, err := svc.Vouchers.Redeem(ctx, dirk, fullCodes[1], "nl", fo.Notice.Hash); steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Fatalf("full batch: %v", err)
		}
		clk.Set(start.AddDate(0, 1, 0))
		if _, err := svc.Vouchers.Preview(ctx, dirk, codes[2], "nl"); steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Fatalf("expired: %v", err)
		}
		clk.Set(start.Add(time.Hour))
		if got := state(); got != before {
			t.Fatalf("refusals changed %q to %q", before, got)
		}
		testkit.AssertAudit(t, s, head)

		// The report: exactly the policy's columns, per course.
		if _, err := svc.Vouchers.Report(ctx, otherMgr, org.ID, "voucher_report"); steward.ErrorCode(err) != steward.EFORBIDDEN {
			t.Fatalf("other organisation's manager: %v", err)
		}
		rep, err := svc.Vouchers.Report(ctx, mgr, org.ID, "voucher_report")
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for _, c := range rep.Columns {
			cols = append(cols, c.ID())
		}
		want := "account.first_name,account.last_name,account.organisation,voucher.course,voucher.redeemed_at,learning_result.score,learning_result.passed,learning_result.completed_at"
		if strings.Join(cols, ",") != want {
			t.Fatalf("columns %v, want %s", cols, want)
		}
		if len(rep.Rows) != 3 || rep.Rows[0].Values["account.first_name"] != "Anna" || rep.Rows[1].Values["account.last_name"] != "de Vries" {
			t.Fatalf("rows: %+v", rep.Rows)
		}
		for _, r := range rep.Rows {
			for k := range r.Values {
				if !slices.Contains(cols, k) {
					t.Fatalf("row has %s: %+v", k, r)
				}
			}
		}
		views, err := s.StaffViewsOf(ctx, anna.ID)
		if err != nil || len(views) != 1 || views[0].StaffID != mgr.ID || strings.Join(views[0].Fields, ",") != want {
			t.Fatalf("anna's staff views: %+v %v", views, err)
		}

		// Bob erases his account, Cor restricts processing: gone at once.
		if _, err := svc.Desk.Erase(ctx, bob.ID, audit.SubjectActor(audit.Pseudonym(bob.Pseudonym))); err != nil {
			t.Fatal(err)
		}
		mustTx(t, s, func(tx *store.Tx) error {
			return tx.SetProcessingLimit(ctx, store.ProcessingLimit{Subject: cor.ID, Kind: "objection", Purpose: voucher.Purpose, Since: start})
		})
		rep, err = svc.Vouchers.Report(ctx, mgr, org.ID, "voucher_report_csv")
		if err != nil || len(rep.Rows) != 1 || rep.Rows[0].Subject != anna.ID {
			t.Fatalf("after erasure and objection: %+v %v", rep, err)
		}
	})
}

func withB(b voucher.Batch, f func(*voucher.Batch)) voucher.Batch { f(&b); return b }

func mustTx(t *testing.T, s *store.Store, f func(tx *store.Tx) error) {
	t.Helper()
	if err := s.InTx(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

// person stores a confirmed person's account with a name.
func person(t *testing.T, s *store.Store, p *policy.Policy, id, first, last string, at time.Time) *account.Account {
	t.Helper()
	a := &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: at, ConfirmedAt: at}
	mustTx(t, s, func(tx *store.Tx) error {
		if err := tx.InsertAccount(context.Background(), a); err != nil {
			return err
		}
		return tx.PutProfile(context.Background(), p, id, "account", account.Values{"first_name": first, "last_name": last, "email": a.Email}, at)
	})
	return a
}
