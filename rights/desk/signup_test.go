package desk_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"steward"
	"steward/audit"
	"steward/consent"
	"steward/internal/testkit"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
)

// newsletter is the IVM newsletter on the fixture's store and clock, with
// the consent service the desk withdraws through.
func (f *fixture) newsletter() *consent.Newsletter {
	svc := consent.NewService(f.d.Policy, f.s, f.clk)
	f.d.Consent = svc
	return &consent.Newsletter{Consent: svc, Gate: consent.NewGate(f.d.Policy, f.s), Clock: f.clk,
		BaseURL: "https://site.test", UnsubKey: []byte("0123456789abcdef0123456789abcdef")}
}

// signUp signs email up for the newsletter without an account and
// confirms it by the link in its mail, as the person does (R2).
func (f *fixture) signUp(t *testing.T, nl *consent.Newsletter, email, first string) string {
	t.Helper()
	ctx := context.Background()
	id, err := nl.SignUp(ctx, map[string]string{"email": email, "first_name": first}, "en")
	if err != nil || id == "" {
		t.Fatalf("sign-up: %q, %v", id, err)
	}
	m := regexp.MustCompile(`/newsletter/confirm\?token=([0-9a-f]+)`).FindStringSubmatch(newestMail(t, f.s).Text)
	if m == nil {
		t.Fatal("no confirmation link in the sign-up mail")
	}
	if _, err := nl.Confirm(ctx, m[1]); err != nil {
		t.Fatal(err)
	}
	return id
}

// askAndVerify asks for a request on the public request page and follows
// the link mailed to the address.
func (f *fixture) askAndVerify(t *testing.T, email string, typ rights.Type, purpose string) *rights.Request {
	t.Helper()
	ctx := context.Background()
	id, err := f.d.AskByEmail(ctx, desk.Ask{Email: email, Type: typ, Purpose: purpose})
	if err != nil || id == "" {
		t.Fatalf("ask: %q, %v", id, err)
	}
	r, err := f.d.VerifyLink(ctx, linkIn(t, f.s))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != id || r.Status != rights.StatusVerified {
		t.Fatalf("verified %s (%s), want %s verified", r.ID, r.Status, id)
	}
	return r
}

// TestSignUpRequests (issue 13 item 5): a person with only a newsletter
// sign-up uses their rights. Found by e-mail address, their request is
// verified by a mailed link and carried out on what is held: access mails
// the address, the name and the consent history with the notice's words;
// withdrawal (objection where the policy honours it) unsubscribes; erasure removes the sign-up, its consents and
// its mail, so the newsletter never reaches the address again. Every step
// is audited by ids and field names, never the address.
func TestSignUpRequests(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2026-03-10")
		nl := f.newsletter()
		const email = "Lotte.Bakker@example.org"
		id := f.signUp(t, nl, email, "Lotte")

		sub, err := f.d.FindSubject(ctx, strings.ToLower(email))
		if err != nil || sub.Kind != rights.SubjectSignUp || sub.ID != id {
			t.Fatalf("find: %+v, %v; want sign-up %s", sub, err, id)
		}

		// Access: the answer carries what is held.
		since := testkit.AuditHead(t, s)
		r := f.askAndVerify(t, email, rights.TypeAccess, "")
		if r.SubjectKind != rights.SubjectSignUp || r.SubjectID != id || r.SubjectPseudonym != "" {
			t.Fatalf("request subject %s %s %q", r.SubjectKind, r.SubjectID, r.SubjectPseudonym)
		}
		it, err := f.d.Request(ctx, r.ID, "")
		if err != nil || !it.Deadline.Equal(day("2026-04-10")) {
			t.Fatalf("deadline %s, %v; want 2026-04-10", it.Deadline, err)
		}
		// Staff make no export of a sign-up: the answer carries it all.
		if err := f.d.ExportForRequest(ctx, &strings.Builder{}, r.ID, staff, desk.CollectOptions{}); steward.ErrorCode(err) != steward.ECONFLICT {
			t.Fatalf("export of a sign-up: %v, want ECONFLICT", err)
		}
		if _, err := f.d.Complete(ctx, staff, r.ID, ""); err != nil {
			t.Fatal(err)
		}
		m := newestMail(t, s)
		notice := consent.Notice(f.d.Policy.Purpose(consent.NewsletterPurpose), "en")
		for _, want := range []string{"E-mail address: " + email, "First name: Lotte", "10 March 2026", notice, "Hello Lotte"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("access answer lacks %q:\n%s", want, m.Text)
			}
		}
		if m.Kind != string(desk.KindRequestCompleted) || m.Recipient != email || m.SubjectID != id {
			t.Fatalf("answer %s to %s about %s", m.Kind, m.Recipient, m.SubjectID)
		}
		self := audit.System(desk.SelfJob)
		page := audit.System(desk.AskJob)
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.RequestCreate, Actor: page, ObjectID: r.ID, Fields: []string{"channel", "received_on", "subject_kind", "type"}},
			testkit.AuditWant{Action: audit.RequestStep, Actor: page, ObjectID: r.ID, Fields: []string{"verify_asked"}},
			testkit.AuditWant{Action: audit.RequestStep, Actor: self, ObjectID: r.ID, Fields: []string{"verified"}},
			testkit.AuditWant{Action: audit.RequestClose, Actor: staff, ObjectID: r.ID, Fields: []string{"status"}},
			testkit.AuditWant{Action: audit.RequestStep, Actor: staff, ObjectID: r.ID, Fields: []string{"answer_mailed"}})

		// Withdrawal (IVM honours no objection, Art. 21: none of its
		// purposes rests on legitimate interests): unsubscribed, so the
		// newsletter plans no mail for it.
		if allowed, _, err := nl.Plan(ctx, 100); err != nil || allowed != 1 {
			t.Fatalf("before the withdrawal the newsletter plans %d, %v; want 1", allowed, err)
		}
		obj := f.askAndVerify(t, email, rights.TypeWithdraw, consent.NewsletterPurpose)
		if obj.Purpose != consent.NewsletterPurpose {
			t.Fatalf("withdrawal purpose %q, want the newsletter", obj.Purpose)
		}
		since = testkit.AuditHead(t, s)
		if _, err := f.d.Complete(ctx, staff, obj.ID, ""); err != nil {
			t.Fatal(err)
		}
		if allowed, _, err := nl.Plan(ctx, 100); err != nil || allowed != 0 {
			t.Fatalf("after the withdrawal the newsletter plans %d, %v; want 0", allowed, err)
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.RequestClose, Actor: staff, ObjectID: obj.ID, Fields: []string{"status"}},
			testkit.AuditWant{Action: audit.ConsentWithdraw, ObjectKind: "consent_record", Fields: []string{"purpose.newsletter"}},
			testkit.AuditWant{Action: audit.RequestStep, Actor: staff, ObjectID: obj.ID, Fields: []string{"answer_mailed"}})

		// Erasure: the sign-up is gone whole, and nothing is mailed again.
		er := f.askAndVerify(t, email, rights.TypeErasure, "")
		since = testkit.AuditHead(t, s)
		if _, err := f.d.Complete(ctx, staff, er.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.NewsletterByID(ctx, id); steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Fatalf("sign-up after erasure: %v", err)
		}
		if hist, err := s.ConsentHistory(ctx, id); err != nil || len(hist) != 0 {
			t.Fatalf("consent history after erasure: %d, %v", len(hist), err)
		}
		if _, err := f.d.FindSubject(ctx, email); steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Fatalf("find after erasure: %v, want ENOTFOUND", err)
		}
		if allowed, _, err := nl.Plan(ctx, 100); err != nil || allowed != 0 {
			t.Fatalf("after the erasure the newsletter plans %d, %v", allowed, err)
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.RequestClose, Actor: staff, ObjectID: er.ID, Fields: []string{"status"}},
			testkit.AuditWant{Action: audit.AccountErase, Actor: staff, ObjectKind: consent.NewsletterRecord, ObjectID: id},
			testkit.AuditWant{Action: audit.RequestStep, Actor: staff, ObjectID: er.ID, Fields: []string{"answer_not_mailed"}})
		if _, err := nl.Unsubscribe(ctx, nl.UnsubscribeToken(id), "en"); err != nil {
			t.Fatalf("an old unsubscribe link after the erasure: %v", err)
		}
		got, err := f.d.Request(ctx, er.ID, "")
		if err != nil || got.SubjectID != "" || got.Status != rights.StatusCompleted {
			t.Fatalf("erasure request after: subject %q, %s, %v", got.SubjectID, got.Status, err)
		}
		if last := got.Steps[len(got.Steps)-1]; last.Kind != rights.StepAnswerNotMailed {
			t.Fatalf("last step %s, want answer_not_mailed (no address is kept)", last.Kind)
		}
		testkit.AssertNoPersonalValues(t, s, email, strings.ToLower(email), "Lotte")
	})
}

// TestAskChangesNothingWhenNothingIsHeld: the public request page's
// answer is the same for every address, so the desk tells it nothing: an
// address the site holds nothing on enters no request and mails nothing;
// a bad form (an unknown type, a bad address, a right the policy does not
// honour) is refused before the address is looked up,
// whoever it names, and changes nothing.
func TestAskChangesNothingWhenNothingIsHeld(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2026-03-10")
		nl := f.newsletter()
		f.signUp(t, nl, "kees@example.org", "Kees")
		head := testkit.AuditHead(t, s)
		mails, _ := s.OutboxList(ctx, store.OutboxFilter{Limit: 100})

		id, err := f.d.AskByEmail(ctx, desk.Ask{Email: "nobody@example.org", Type: rights.TypeAccess})
		if err != nil || id != "" {
			t.Fatalf("ask for an unknown address: %q, %v; want nothing entered", id, err)
		}
		for _, bad := range []desk.Ask{
			{Email: "kees@example.org", Type: "everything"},
			{Email: "not an address", Type: rights.TypeAccess},
			{Email: "kees@example.org", Type: rights.TypeObjection, Purpose: "newsletter"},
			{Email: f.person.Email, Type: rights.TypeWithdraw, Purpose: "no_such_purpose"},
			{Email: "kees@example.org", Type: rights.TypeWithdraw, Purpose: "no_such_purpose"},
		} {
			if _, err := f.d.AskByEmail(ctx, bad); steward.ErrorCode(err) != steward.EINVALID {
				t.Errorf("ask %+v: %v, want EINVALID", bad, err)
			}
		}
		if _, err := f.d.FindSubject(ctx, "nobody@example.org"); steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Fatalf("find an unknown address: %v", err)
		}
		if _, err := f.d.Add(ctx, staff, rights.NewRequest{SubjectKind: rights.SubjectSignUp, SubjectID: "ns_nobody",
			Type: rights.TypeAccess, Channel: rights.ChannelEmail, ReceivedOn: day("2026-03-09")}); steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Fatalf("add for an unknown sign-up: %v", err)
		}
		items, err := f.d.Queue(ctx, desk.QueueOptions{All: true})
		if err != nil || len(items) != 0 {
			t.Fatalf("queue holds %d requests, %v; want none", len(items), err)
		}
		after, _ := s.OutboxList(ctx, store.OutboxFilter{Limit: 100})
		if len(after) != len(mails) || testkit.AuditHead(t, s) != head {
			t.Fatalf("mails %d → %d, audit head %d → %d: something changed", len(mails), len(after), head, testkit.AuditHead(t, s))
		}
	})
}

// TestSignUpRectification (issue 13 item 5, Art. 16): a privacy officer
// corrects a sign-up's name from its rectification request, by the rules
// of the sign-up form; its address is not among what can change, a bad or
// empty edit changes nothing, and the edit is audited with field names
// only. Only then is the request completed as done.
func TestSignUpRectification(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2026-03-10")
		id := f.signUp(t, f.newsletter(), "kees@example.org", "Kess")
		sub, err := f.d.FindSubject(ctx, "kees@example.org")
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.d.Add(ctx, staff, rights.NewRequest{SubjectKind: sub.Kind, SubjectID: sub.ID, Type: rights.TypeRectification,
			Channel: rights.ChannelEmail, ReceivedOn: day("2026-03-09"), Details: "my first name is Kees"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.d.VerifyManually(ctx, staff, r.ID, "replied from the sign-up's address"); err != nil {
			t.Fatal(err)
		}
		form, err := f.d.RectifyTarget(ctx, r.ID)
		if err != nil || form.SignUp["first_name"] != "Kess" || form.Account != nil {
			t.Fatalf("rectify target: %+v, %v", form, err)
		}
		_, err = f.d.Complete(ctx, staff, r.ID, "")
		wantCode(t, err, steward.ECONFLICT)
		head := testkit.AuditHead(t, s)
		for name, in := range map[string]map[string]map[string]string{
			"the address":     {"newsletter_subscription": {"email": "other@example.org"}},
			"undeclared":      {"newsletter_subscription": {"shoe_size": "44"}},
			"another kind":    {"account": {"first_name": "Kees"}},
			"too long":        {"newsletter_subscription": {"first_name": strings.Repeat("x", 300)}},
			"nothing changed": {"newsletter_subscription": {"first_name": "Kess"}},
		} {
			if _, err := f.d.Rectify(ctx, staff, r.ID, in); steward.ErrorCode(err) != steward.EINVALID {
				t.Errorf("%s: %v, want EINVALID", name, err)
			}
		}
		if testkit.AuditHead(t, s) != head {
			t.Fatal("a refused edit wrote to the audit log")
		}
		fields, err := f.d.Rectify(ctx, staff, r.ID, map[string]map[string]string{"newsletter_subscription": {"first_name": "Kees", "last_name": "de Vries"}})
		if err != nil || strings.Join(fields, " ") != "newsletter_subscription.first_name newsletter_subscription.last_name" {
			t.Fatalf("rectify: %v, %v", fields, err)
		}
		n, err := s.NewsletterByID(ctx, id)
		if err != nil || !strings.Contains(n.Fields, `"first_name":"Kees"`) || !strings.Contains(n.Fields, `"last_name":"de Vries"`) || n.Email != "kees@example.org" {
			t.Fatalf("sign-up after the edit: %+v, %v", n, err)
		}
		testkit.AssertAudit(t, s, head,
			testkit.AuditWant{Action: audit.ProfileUpdate, Actor: staff, ObjectKind: consent.NewsletterRecord, ObjectID: id, Fields: fields},
			testkit.AuditWant{Action: audit.RequestStep, Actor: staff, ObjectID: r.ID, Fields: []string{"rectified"}})
		if _, err := f.d.Complete(ctx, staff, r.ID, ""); err != nil {
			t.Fatal(err)
		}
		if m := newestMail(t, s); m.Recipient != "kees@example.org" || !strings.Contains(m.Text, "Hello Kees") {
			t.Fatalf("answer to %s:\n%s", m.Recipient, m.Text)
		}
		testkit.AssertNoPersonalValues(t, s, "kees@example.org", "Kees", "de Vries")
	})
}
