package consent_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/audit"
	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func newService(t *testing.T, s *store.Store, site string) (*consent.Service, *clock.Fixed) {
	t.Helper()
	clk := clock.NewFixed(t0)
	return consent.NewService(testkit.Policy(t, site), s, clk), clk
}

func TestHistoryAndDerivedState(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, clk := newService(t, s, "zorginspirator")
		signer := testkit.AuditSigner(t, s, 0)
		since := testkit.AuditHead(t, s)
		must(t, svc.Give(ctx, "acc1", "newsletter", policy.ChannelSignup, "nl"))
		clk.Advance(time.Hour)
		must(t, svc.Give(ctx, "acc1", "research_panel", policy.ChannelSettings, "en"))
		clk.Advance(time.Hour)
		must(t, svc.Withdraw(ctx, "acc1", "newsletter", policy.ChannelSettings, "nl"))
		// A repeated withdrawal changes nothing.
		must(t, svc.Withdraw(ctx, "acc1", "newsletter", policy.ChannelSettings, "nl"))

		h, err := svc.History(ctx, "acc1")
		must(t, err)
		if len(h) != 3 {
			t.Fatalf("history has %d records, want 3", len(h))
		}
		if !h[0].Given || h[0].Channel != policy.ChannelSignup || !h[0].At.Equal(t0) {
			t.Errorf("first record = %+v", h[0])
		}
		p := svc.Policy.Purpose("newsletter")
		if h[0].NoticeHash != consent.NoticeHash(p.Consent.Notice.NL) {
			t.Errorf("notice hash is not the hash of the Dutch notice")
		}
		st, err := svc.State(ctx, "acc1")
		must(t, err)
		if st.Given("newsletter") || !st.Given("research_panel") {
			t.Errorf("state = %+v, want newsletter withdrawn and panel given", st)
		}
		if !st["newsletter"].Since.Equal(t0.Add(2 * time.Hour)) {
			t.Errorf("newsletter since %v", st["newsletter"].Since)
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.ConsentGive, ObjectKind: "consent_record", Fields: []string{"purpose.newsletter"}},
			testkit.AuditWant{Action: audit.ConsentGive, Fields: []string{"purpose.research_panel"}},
			testkit.AuditWant{Action: audit.ConsentWithdraw, Fields: []string{"purpose.newsletter"}})
		testkit.AssertAuditVerifies(t, s, signer)
	})
}

func TestBadInputChangesNothing(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, s, "zorginspirator")
		cases := []struct {
			name  string
			c     consent.Change
			field string
		}{
			{"unknown_purpose", consent.Change{Subject: "a1", Purpose: "telemarketing", Given: true, Channel: policy.ChannelSettings, Lang: "nl"}, "purpose"},
			{"purpose_without_consent", consent.Change{Subject: "a1", Purpose: "account", Given: true, Channel: policy.ChannelSettings, Lang: "nl"}, "purpose"},
			{"channel_not_allowed", consent.Change{Subject: "a1", Purpose: "facebook_pixel", Given: true, Channel: policy.ChannelSettings, Lang: "nl"}, "channel"},
			{"address_as_subject", consent.Change{Subject: "jan@example.org", Purpose: "newsletter", Given: true, Channel: policy.ChannelSettings, Lang: "nl"}, "subject"},
			{"unknown_language", consent.Change{Subject: "a1", Purpose: "newsletter", Given: true, Channel: policy.ChannelSettings, Lang: "de"}, "lang"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				good := consent.Change{Subject: "a1", Purpose: "research_panel", Given: true, Channel: policy.ChannelSettings, Lang: "nl"}
				_, err := svc.Apply(ctx, good, tc.c)
				if steward.ErrorCode(err) != steward.EINVALID {
					t.Fatalf("err = %v, want EINVALID", err)
				}
				if !strings.Contains(err.Error(), tc.field) {
					t.Errorf("err %q does not name field %s", err, tc.field)
				}
				h, err := svc.History(ctx, "a1")
				must(t, err)
				if len(h) != 0 {
					t.Fatalf("a bad change wrote %d records; the good one with it must not be written either", len(h))
				}
			})
		}
	})
}

func TestGatePerLegalBasis(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, clk := newService(t, s, "zorginspirator")
		gate := consent.NewGate(svc.Policy, s)
		check := func(subject, purpose string, want bool, why consent.Reason) {
			t.Helper()
			ok, r, err := gate.Allowed(ctx, subject, purpose)
			must(t, err)
			if ok != want || r != why {
				t.Errorf("Allowed(%s, %s) = %v %s, want %v %s", subject, purpose, ok, r, want, why)
			}
		}
		check("a1", "account", true, consent.ReasonNotConsentBased)       // contract
		check("a1", "usability", true, consent.ReasonNotConsentBased)     // legitimate interests
		check("a1", "consent_proof", true, consent.ReasonNotConsentBased) // legal obligation
		check("a1", "newsletter", false, consent.ReasonNoConsent)         // consent, never asked
		must(t, svc.Give(ctx, "a1", "newsletter", policy.ChannelSignup, "nl"))
		check("a1", "newsletter", true, consent.ReasonConsentGiven)
		clk.Advance(time.Second)
		must(t, svc.Withdraw(ctx, "a1", "newsletter", policy.ChannelSettings, "nl"))
		check("a1", "newsletter", false, consent.ReasonWithdrawn)

		// Objection stops legitimate-interest processing (Art. 21);
		// restriction stops everything (Art. 18).
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetProcessingLimit(ctx, store.ProcessingLimit{Subject: "a1", Kind: consent.LimitObjection, Purpose: "usability", Since: clk.Now()})
		}))
		check("a1", "usability", false, consent.ReasonObjected)
		check("a1", "account", true, consent.ReasonNotConsentBased)
		must(t, svc.Give(ctx, "a1", "research_panel", policy.ChannelSettings, "nl"))
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetProcessingLimit(ctx, store.ProcessingLimit{Subject: "a1", Kind: consent.LimitRestriction, Purpose: consent.AllPurposes, Since: clk.Now(), Reason: "dispute"})
		}))
		check("a1", "research_panel", false, consent.ReasonRestricted)
		check("a1", "account", false, consent.ReasonRestricted)
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.LiftProcessingLimit(ctx, "a1", consent.LimitRestriction, consent.AllPurposes)
			return err
		}))
		check("a1", "research_panel", true, consent.ReasonConsentGiven)

		if _, _, err := gate.Allowed(ctx, "a1", "nope"); steward.ErrorCode(err) != steward.EINVALID {
			t.Errorf("unknown purpose: err = %v, want EINVALID", err)
		}
	})
}

func TestGateCacheSeesWithdrawalInSameRequest(t *testing.T) {
	s := testkit.SQLite(t)
	svc, _ := newService(t, s, "zorginspirator")
	gate := consent.NewGate(svc.Policy, s)
	ctx := consent.WithCache(context.Background())
	must(t, svc.Give(ctx, "a1", "research_panel", policy.ChannelSettings, "nl"))
	if ok, _, _ := gate.Allowed(ctx, "a1", "research_panel"); !ok {
		t.Fatal("not allowed after consent")
	}
	must(t, svc.Withdraw(ctx, "a1", "research_panel", policy.ChannelSettings, "nl"))
	if ok, _, _ := gate.Allowed(ctx, "a1", "research_panel"); ok {
		t.Fatal("the cached answer outlived the withdrawal")
	}
}

func TestReceiptSignedAndTamperEvident(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, clk := newService(t, s, "zorginspirator")
		key, created, err := consent.LoadOrCreateKey(t.TempDir() + "/consent.key")
		must(t, err)
		if !created {
			t.Fatal("key not reported as created")
		}
		must(t, svc.Give(ctx, "a1", "newsletter", policy.ChannelSignup, "en"))
		clk.Advance(time.Minute)
		must(t, svc.Withdraw(ctx, "a1", "newsletter", policy.ChannelSettings, "en"))
		rc, err := svc.Receipt(ctx, key, "a1")
		must(t, err)
		p, err := consent.VerifyReceipt(rc, key.Public())
		must(t, err)
		if len(p.Records) != 2 || len(p.Notices) != 1 {
			t.Fatalf("receipt has %d records and %d notices", len(p.Records), len(p.Notices))
		}
		for _, n := range p.Notices {
			if !strings.Contains(n.Text, "Zorginspirator newsletter") {
				t.Errorf("notice text %q is not the English newsletter notice", n.Text)
			}
		}
		tampered := bytes.Replace(rc, []byte("false"), []byte("true"), 1)
		if _, err := consent.VerifyReceipt(tampered, key.Public()); err == nil {
			t.Fatal("a changed receipt verified")
		}
		other, _, _ := consent.LoadOrCreateKey(t.TempDir() + "/other.key")
		if _, err := consent.VerifyReceipt(rc, other.Public()); err == nil {
			t.Fatal("verified against another key")
		}
	})
}

func TestEraseConsentsFor(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, s, "zorginspirator")
		must(t, svc.Give(ctx, "a1", "newsletter", policy.ChannelSignup, "nl"))
		must(t, svc.Give(ctx, "a2", "newsletter", policy.ChannelSignup, "nl"))
		must(t, s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.EraseConsentsFor(ctx, "a1", "anon_1")
			if err == nil {
				_, err = tx.EraseConsentsFor(ctx, "a2", "")
			}
			return err
		}))
		for subj, want := range map[string]int{"a1": 0, "a2": 0, "anon_1": 1} {
			h, err := svc.History(ctx, subj)
			must(t, err)
			if len(h) != want {
				t.Errorf("%s has %d records after erasure, want %d", subj, len(h), want)
			}
		}
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
