package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
)

// TestRequestsAddForSignUp (issue 13 item 5): 'requests add --email'
// finds a person with only a newsletter sign-up, as it finds an account,
// and enters the request about the sign-up; an address the site holds
// nothing on is refused with one line, exit 1, and nothing is entered.
func TestRequestsAddForSignUp(t *testing.T) {
	ctx := context.Background()
	env, _ := requestsEnv(t)
	s := openTestStore(t, env)
	p := testkit.Policy(t, "ivm")
	clk := clock.NewFixed(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	nl := &consent.Newsletter{Consent: consent.NewService(p, s, clk), Gate: consent.NewGate(p, s), Clock: clk,
		BaseURL: "https://ivm.example", UnsubKey: []byte("0123456789abcdef0123456789abcdef")}
	id, err := nl.SignUp(ctx, map[string]string{"email": "lotte@example.org", "first_name": "Lotte"}, "nl")
	if err != nil {
		t.Fatal(err)
	}
	mails, err := s.OutboxList(ctx, store.OutboxFilter{Limit: 1})
	if err != nil || len(mails) == 0 {
		t.Fatalf("no confirmation mail: %v", err)
	}
	m := regexp.MustCompile(`/newsletter/confirm\?token=([0-9a-f]+)`).FindStringSubmatch(mails[0].Text)
	if m == nil {
		t.Fatalf("no link in %q", mails[0].Text)
	}
	if _, err := nl.Confirm(ctx, m[1]); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := run(t, env, "requests", "add", "--email", "Lotte@example.org", "--kind", "erasure", "--channel", "email")
	if code != 0 {
		t.Fatalf("add for a sign-up: exit %d: %s", code, errOut)
	}
	d := &desk.Desk{Store: s, Policy: p, Clock: clk}
	it, err := d.Request(ctx, strings.TrimSpace(out), "")
	if err != nil || it.SubjectKind != rights.SubjectSignUp || it.SubjectID != id || it.Type != rights.TypeErasure ||
		!it.ReceivedOn.Equal(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("request %+v, %v; want an erasure request about sign-up %s received today", it.Request, err, id)
	}
	if code, out, _ := run(t, env, "requests", "show", it.ID); code != 0 || !strings.Contains(out, "newsletter sign-up") {
		t.Fatalf("show: exit %d\n%s", code, out)
	}

	head := testkit.AuditHead(t, s)
	code, out, errOut = run(t, env, "requests", "add", "--email", "nobody@example.org", "--kind", "access", "--channel", "email")
	if code != 1 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "no data under that e-mail address") {
		t.Fatalf("add for an unknown address: exit %d, %q, %q; want exit 1 and one line", code, out, errOut)
	}
	items, err := d.Queue(ctx, desk.QueueOptions{All: true})
	if err != nil || len(items) != 1 || testkit.AuditHead(t, s) != head {
		t.Fatalf("after the refusal: %d requests, %v, audit head %d → %d; want 1 and no change", len(items), err, head, testkit.AuditHead(t, s))
	}
}
