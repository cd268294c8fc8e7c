package desk_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/policy"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
)

var staff = audit.Staff("a-staff1")

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is a desk on a store with one person, at noon UTC on a day.
type fixture struct {
	s      *store.Store
	d      *desk.Desk
	clk    *clock.Fixed
	person *account.Account
}

func newFixture(t *testing.T, s *store.Store, site, today string) *fixture {
	t.Helper()
	clk := clock.NewFixed(day(today).Add(12 * time.Hour))
	p := testkit.Policy(t, site)
	d := &desk.Desk{Store: s, Policy: p, Clock: clk, Zone: time.UTC, BaseURL: "https://site.test"}
	f := &fixture{s: s, d: d, clk: clk}
	f.person = f.newPerson(t, "jan.jansen@example.org")
	return f
}

func (f *fixture) newPerson(t *testing.T, email string) *account.Account {
	t.Helper()
	a := &account.Account{ID: account.NewID("a-"), Email: email, Pseudonym: string(audit.NewPseudonym()),
		CreatedAt: f.clk.Now().AddDate(-1, 0, 0), ConfirmedAt: f.clk.Now().AddDate(-1, 0, 0)}
	if err := f.s.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertAccount(context.Background(), a) }); err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) add(t *testing.T, typ rights.Type, received string) *rights.Request {
	t.Helper()
	r, err := f.d.Add(context.Background(), staff, rights.NewRequest{SubjectID: f.person.ID, Type: typ, Channel: rights.ChannelLetter, ReceivedOn: day(received)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := steward.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

// linkIn returns the confirmation link's secret from the newest outbox mail.
func linkIn(t *testing.T, s *store.Store) string {
	t.Helper()
	mails, err := s.OutboxList(context.Background(), store.OutboxFilter{Limit: 1})
	if err != nil || len(mails) == 0 {
		t.Fatalf("no mail in the outbox: %v", err)
	}
	m := regexp.MustCompile(`/requests/verify\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(mails[0].Text)
	if m == nil {
		t.Fatalf("no confirmation link in mail %q", mails[0].Subject)
	}
	return m[1]
}

func TestRequestLifecycle(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2025-02-03")
		ps := audit.Pseudonym(f.person.Pseudonym)
		since := testkit.AuditHead(t, s)
		r := f.add(t, rights.TypeAccess, "2025-01-31")
		if r.Status != rights.StatusReceived {
			t.Fatalf("status %s, want received", r.Status)
		}

		// Completing an unverified request: clear error, nothing changed.
		_, err := f.d.Complete(ctx, staff, r.ID, "export sent")
		wantCode(t, err, steward.ECONFLICT)
		got, err := f.d.Request(ctx, r.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != rights.StatusReceived || len(got.Steps) != 1 {
			t.Fatalf("after refused completion: status %s, %d steps; want received, 1", got.Status, len(got.Steps))
		}
		if !got.Deadline.Equal(day("2025-02-28")) {
			t.Errorf("deadline %s, want 2025-02-28", got.Deadline)
		}

		// Verification by e-mail link, once.
		if err := f.d.AskVerification(ctx, staff, r.ID); err != nil {
			t.Fatal(err)
		}
		secret := linkIn(t, s)
		if _, err := f.d.VerifyLink(ctx, secret); err != nil {
			t.Fatal(err)
		}
		_, err = f.d.VerifyLink(ctx, secret)
		wantCode(t, err, steward.ENOTFOUND)

		// Extension: once, with the mail sent and recorded.
		ext, err := f.d.Extend(ctx, staff, r.ID, policy.MustDuration("P2M"), "many records in two systems")
		if err != nil {
			t.Fatal(err)
		}
		if d := ext.Deadline(f.d.DeadlineClock()); !d.Equal(day("2025-04-30")) {
			t.Errorf("extended deadline %s, want 2025-04-30", d)
		}
		mails, _ := s.OutboxList(ctx, store.OutboxFilter{Limit: 1})
		if len(mails) != 1 || mails[0].Kind != "request_update" || mails[0].SubjectID != f.person.ID {
			t.Fatalf("extension mail missing: %+v", mails)
		}
		_, err = f.d.Extend(ctx, staff, r.ID, policy.MustDuration("P1M"), "again")
		wantCode(t, err, steward.ECONFLICT)

		done, err := f.d.Complete(ctx, staff, r.ID, "export handed over")
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != rights.StatusCompleted {
			t.Fatalf("status %s, want completed", done.Status)
		}
		_, err = f.d.Complete(ctx, staff, r.ID, "again")
		wantCode(t, err, steward.ECONFLICT)

		got, _ = f.d.Request(ctx, r.ID, "")
		var kinds []rights.StepKind
		for _, st := range got.Steps {
			kinds = append(kinds, st.Kind)
		}
		want := []rights.StepKind{rights.StepReceived, rights.StepVerifyAsked, rights.StepVerified, rights.StepExtended, rights.StepExtendMailed, rights.StepCompleted, rights.StepAnswerMailed}
		if len(kinds) != len(want) {
			t.Fatalf("timeline %v, want %v", kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("timeline %v, want %v", kinds, want)
			}
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.RequestCreate, Actor: staff, ObjectID: r.ID, Subject: ps},
			testkit.AuditWant{Action: audit.RequestStep, Actor: staff, Subject: ps, Fields: []string{"verify_asked"}},
			testkit.AuditWant{Action: audit.RequestStep, Actor: audit.SubjectActor(ps), Subject: ps, Fields: []string{"verified"}},
			testkit.AuditWant{Action: audit.RequestExtend, Actor: staff, Subject: ps},
			testkit.AuditWant{Action: audit.RequestStep, Actor: staff, Subject: ps, Fields: []string{"extension_mailed"}},
			testkit.AuditWant{Action: audit.RequestClose, Actor: staff, Subject: ps},
			testkit.AuditWant{Action: audit.RequestStep, Actor: staff, Subject: ps, Fields: []string{"answer_mailed"}},
		)
	})
}

func TestExtendTooLateChangesNothing(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2025-03-01")
		r := f.add(t, rights.TypeErasure, "2025-01-31")
		since := testkit.AuditHead(t, s)
		_, err := f.d.Extend(ctx, staff, r.ID, policy.MustDuration("P2M"), "complex")
		wantCode(t, err, steward.ECONFLICT)
		_, err = f.d.Extend(ctx, staff, r.ID, policy.MustDuration("P1M"), "")
		wantCode(t, err, steward.EINVALID)
		got, _ := f.d.Request(ctx, r.ID, "")
		if !got.Extension.IsZero() || len(got.Steps) != 1 || !got.Overdue {
			t.Fatalf("refused extension changed the request: %+v", got)
		}
		if mails, _ := s.OutboxList(ctx, store.OutboxFilter{}); len(mails) != 0 {
			t.Fatalf("refused extension mailed %d", len(mails))
		}
		testkit.AssertAudit(t, s, since)
	})
}

func TestExpiredLinkIsRefusedAndVoided(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2025-02-03")
		r := f.add(t, rights.TypeAccess, "2025-02-03")
		if err := f.d.AskVerification(ctx, staff, r.ID); err != nil {
			t.Fatal(err)
		}
		secret := linkIn(t, s)
		f.clk.Advance(rights.VerifyLinkLifetime + time.Minute)
		_, err := f.d.VerifyLink(ctx, secret)
		wantCode(t, err, steward.EINVALID)
		_, err = f.d.VerifyLink(ctx, secret)
		wantCode(t, err, steward.ENOTFOUND)
		_, err = f.d.VerifyLink(ctx, "not-a-link")
		wantCode(t, err, steward.ENOTFOUND)
		got, _ := f.d.Request(ctx, r.ID, "")
		if got.Status != rights.StatusReceived {
			t.Fatalf("expired link verified the request")
		}
		// A manual check needs a note.
		_, err = f.d.VerifyManually(ctx, staff, r.ID, " ")
		wantCode(t, err, steward.EINVALID)
		if _, err := f.d.VerifyManually(ctx, staff, r.ID, "called back on the number in the account"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDeadlineFromIdentityProof(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2025-01-10")
		f.d.Policy.Rights.DeadlineFrom = policy.FromIdentityProof
		r := f.add(t, rights.TypeAccess, "2025-01-10")
		if err := f.d.AskVerification(ctx, staff, r.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := f.d.Request(ctx, r.ID, "")
		if !got.Deadline.IsZero() {
			t.Fatalf("deadline %s runs before proof arrived", got.Deadline)
		}
		f.clk.Set(day("2025-01-15").Add(9 * time.Hour))
		if _, err := f.d.VerifyLink(ctx, linkIn(t, s)); err != nil {
			t.Fatal(err)
		}
		got, _ = f.d.Request(ctx, r.ID, "")
		if !got.Deadline.Equal(day("2025-02-15")) || !got.ReceivedOn.Equal(day("2025-01-10")) || !got.VerifiedOn.Equal(day("2025-01-15")) {
			t.Fatalf("received %s verified %s deadline %s; want 2025-01-10, 2025-01-15, 2025-02-15", got.ReceivedOn, got.VerifiedOn, got.Deadline)
		}
	})
}

func TestQueueSortsAndFlags(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2025-03-10")
		late := f.add(t, rights.TypeAccess, "2025-02-01")       // due 2025-03-01: overdue
		soon := f.add(t, rights.TypeErasure, "2025-02-14")      // due 2025-03-14: due soon
		later := f.add(t, rights.TypePortability, "2025-03-09") // due 2025-04-09
		closed := f.add(t, rights.TypeAccess, "2025-02-02")
		if _, err := f.d.VerifyManually(ctx, staff, closed.ID, "at the desk"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.d.Complete(ctx, staff, closed.ID, "done"); err != nil {
			t.Fatal(err)
		}
		ids := func(items []desk.Item) []string {
			var out []string
			for _, it := range items {
				out = append(out, it.ID)
			}
			return out
		}
		all, err := f.d.Queue(ctx, desk.QueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ids(all), []string{late.ID, soon.ID, later.ID}; !equal(got, want) {
			t.Fatalf("queue %v, want %v", got, want)
		}
		if !all[0].Overdue || all[0].DueSoon || all[1].Overdue || !all[1].DueSoon || all[2].Overdue || all[2].DueSoon {
			t.Errorf("flags wrong: %+v", all)
		}
		over, _ := f.d.Queue(ctx, desk.QueueOptions{Overdue: true})
		if got := ids(over); !equal(got, []string{late.ID}) {
			t.Errorf("overdue %v, want only %s", got, late.ID)
		}
		week, _ := f.d.Queue(ctx, desk.QueueOptions{DueWithin: 7 * 24 * time.Hour})
		if got := ids(week); !equal(got, []string{late.ID, soon.ID}) {
			t.Errorf("due within a week %v", got)
		}
		everything, _ := f.d.Queue(ctx, desk.QueueOptions{All: true})
		if len(everything) != 4 {
			t.Errorf("--all lists %d, want 4", len(everything))
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAddRefusesBadInput(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "zorginspirator", "2025-03-10")
		since := testkit.AuditHead(t, s)
		for name, n := range map[string]rights.NewRequest{
			"unknown_person":      {SubjectID: "a-nobody", Type: rights.TypeAccess, Channel: rights.ChannelEmail, ReceivedOn: day("2025-03-01")},
			"future_receipt":      {SubjectID: f.person.ID, Type: rights.TypeAccess, Channel: rights.ChannelEmail, ReceivedOn: day("2025-03-11")},
			"unknown_type":        {SubjectID: f.person.ID, Type: "forget", Channel: rights.ChannelEmail, ReceivedOn: day("2025-03-01")},
			"unknown_channel":     {SubjectID: f.person.ID, Type: rights.TypeAccess, Channel: "fax", ReceivedOn: day("2025-03-01")},
			"objection_consent":   {SubjectID: f.person.ID, Type: rights.TypeObjection, Channel: rights.ChannelEmail, ReceivedOn: day("2025-03-01"), Purpose: "newsletter"},
			"withdraw_no_purpose": {SubjectID: f.person.ID, Type: rights.TypeWithdraw, Channel: rights.ChannelEmail, ReceivedOn: day("2025-03-01")},
		} {
			if _, err := f.d.Add(ctx, staff, n); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
		testkit.AssertAudit(t, s, since)
		if q, _ := f.d.Queue(ctx, desk.QueueOptions{All: true}); len(q) != 0 {
			t.Fatalf("bad input stored %d requests", len(q))
		}
	})
}

func TestDisclosures(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2025-03-10")
		since := testkit.AuditHead(t, s)
		open, err := f.d.RecordDisclosure(ctx, staff, rights.NewDisclosure{SubjectID: f.person.ID, Ground: "fraud_authorities",
			Recipient: "Politie Midden-Nederland", Categories: []string{"account", "order"}, Reference: "PV-2025-17", DisclosedOn: day("2025-03-07")})
		if err != nil {
			t.Fatal(err)
		}
		hidden, err := f.d.RecordDisclosure(ctx, staff, rights.NewDisclosure{SubjectID: f.person.ID, Ground: "fraud_authorities",
			Categories: []string{"account"}, DisclosedOn: day("2025-03-08"), Withheld: true, WithholdReason: "Art. 126nd Sv: investigation running"})
		if err != nil {
			t.Fatal(err)
		}
		for name, n := range map[string]rights.NewDisclosure{
			"unknown_ground":       {SubjectID: f.person.ID, Ground: "marketing", Categories: []string{"account"}, DisclosedOn: day("2025-03-08")},
			"uncovered_kind":       {SubjectID: f.person.ID, Ground: "fraud_authorities", Categories: []string{"enrolment_result"}, DisclosedOn: day("2025-03-08")},
			"withheld_unargued":    {SubjectID: f.person.ID, Ground: "fraud_authorities", Categories: []string{"account"}, DisclosedOn: day("2025-03-08"), Withheld: true},
			"future":               {SubjectID: f.person.ID, Ground: "fraud_authorities", Categories: []string{"account"}, DisclosedOn: day("2025-03-11")},
			"other_person_request": {SubjectID: f.person.ID, Ground: "fraud_authorities", Categories: []string{"account"}, DisclosedOn: day("2025-03-08"), RequestID: "req_x"},
		} {
			if _, err := f.d.RecordDisclosure(ctx, staff, n); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
		ps := audit.Pseudonym(f.person.Pseudonym)
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.DisclosureRecord, Actor: staff, ObjectID: open.ID, Subject: ps, Fields: []string{"account", "order"}},
			testkit.AuditWant{Action: audit.DisclosureRecord, Actor: staff, ObjectID: hidden.ID, Subject: ps, Fields: []string{"account", "withheld"}},
		)
		shown, err := s.DisclosuresOf(ctx, f.person.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(shown) != 1 || shown[0].ID != open.ID || shown[0].Recipient != "Politie Midden-Nederland" {
			t.Fatalf("person sees %+v, want only the open disclosure", shown)
		}
		all, _ := s.DisclosuresOf(ctx, f.person.ID, true)
		if len(all) != 2 {
			t.Fatalf("staff see %d disclosures, want 2", len(all))
		}
	})
}
