package audit_test

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/audit"
	"steward/clock"
)

func sample() audit.Entry {
	e := audit.Entry{
		Seq:           42,
		Time:          time.Date(2026, 3, 1, 9, 30, 0, 123_456_789, time.UTC),
		Actor:         audit.Staff("st_7"),
		Action:        audit.ProfileUpdate,
		ObjectKind:    "account",
		ObjectID:      "a_19",
		Subject:       "ps_0123456789abcdef0123456789abcdef",
		Fields:        []string{"postcode", "first_name", "postcode"},
		PolicyVersion: "2024-02-08",
		RequestID:     "req-1",
	}
	e.Normalize()
	return e
}

// TestCanonicalEncodingIsStable pins format 1: if this hash changes, every
// stored entry would fail verification, so a change of encoding must be a
// new format, never an edit of this one.
func TestCanonicalEncodingIsStable(t *testing.T) {
	e := sample()
	if got, want := e.Fields, []string{"first_name", "postcode"}; !slices.Equal(got, want) {
		t.Fatalf("normalised fields %v, want %v", got, want)
	}
	if e.Time.Nanosecond() != 123_000_000 {
		t.Fatalf("time not cut to milliseconds: %v", e.Time)
	}
	const want = "398d7098e3577c8d1fbf8f57c04e1e9b24fcda55f440c2b0a67a695b9ad515a2"
	if got := e.ComputeHash().String(); got != want {
		t.Logf("format 1 hash is %s", got)
		if os.Getenv("AUDIT_PRINT_GOLDEN") == "" {
			t.Fatalf("format 1 hash changed: %s, want %s", got, want)
		}
	}
}

func TestEveryColumnChangesTheHash(t *testing.T) {
	base := sample()
	h := base.ComputeHash()
	spoil := map[string]func(*audit.Entry){
		"seq":            func(e *audit.Entry) { e.Seq++ },
		"time":           func(e *audit.Entry) { e.Time = e.Time.Add(time.Millisecond) },
		"actor":          func(e *audit.Entry) { e.Actor = audit.Staff("st_8") },
		"action":         func(e *audit.Entry) { e.Action = audit.StaffView },
		"object_kind":    func(e *audit.Entry) { e.ObjectKind = "accounts" },
		"object_id":      func(e *audit.Entry) { e.ObjectID = "a_1" },
		"subject":        func(e *audit.Entry) { e.Subject = "" },
		"fields":         func(e *audit.Entry) { e.Fields = []string{"first_name"} },
		"policy_version": func(e *audit.Entry) { e.PolicyVersion = "2024-02-09" },
		"request_id":     func(e *audit.Entry) { e.RequestID = "" },
		"format":         func(e *audit.Entry) { e.Format = 2 },
		"prev_hash":      func(e *audit.Entry) { e.PrevHash[31] = 1 },
		// Moving bytes from one column to the next must not keep the hash.
		"shifted_text": func(e *audit.Entry) { e.ObjectKind, e.ObjectID = "accounta", "_19" },
	}
	for name, f := range spoil {
		e := sample()
		f(&e)
		if e.ComputeHash() == h {
			t.Errorf("%s: hash unchanged", name)
		}
	}
}

func TestValidateKeepsPersonalValuesOut(t *testing.T) {
	ok := sample()
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid entry rejected: %v", err)
	}
	for name, f := range map[string]func(*audit.Entry){
		"email_as_id":         func(e *audit.Entry) { e.ObjectID = "jan@example.nl" },
		"name_as_id":          func(e *audit.Entry) { e.ObjectID = "Jan de Vries" },
		"postcode_with_space": func(e *audit.Entry) { e.RequestID = "1234 AB" },
		"value_as_field":      func(e *audit.Entry) { e.Fields = []string{"Jan"} },
		"field_with_value":    func(e *audit.Entry) { e.Fields = []string{"big:12345678901"} },
		"email_as_subject":    func(e *audit.Entry) { e.Subject = "jan@example.nl" },
		"short_pseudonym":     func(e *audit.Entry) { e.Subject = "ps_0123" },
		"unknown_action":      func(e *audit.Entry) { e.Action = "profile.delete" },
		"bad_actor":           func(e *audit.Entry) { e.Actor = "jan@example.nl" },
		"unit_separator":      func(e *audit.Entry) { e.ObjectID = "a\x1fb" },
	} {
		e := sample()
		f(&e)
		if err := e.Validate(); steward.ErrorCode(err) != steward.EINVALID {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}

func TestActionsAreAClosedValidList(t *testing.T) {
	all := audit.Actions()
	seen := map[audit.Action]bool{}
	for _, a := range all {
		if !a.Valid() || seen[a] {
			t.Errorf("action %q invalid or listed twice", a)
		}
		seen[a] = true
	}
	for _, a := range []audit.Action{"", "profile", "Profile.Update", "account.delete"} {
		if a.Valid() {
			t.Errorf("%q is valid", a)
		}
	}
}

func TestPseudonymsAreStableAndUnlinkable(t *testing.T) {
	p1, err := audit.NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := audit.NewPseudonymizer([]byte("fedcba9876543210fedcba9876543210"))
	a, b := p1.Of("acc_1"), p1.Of("acc_1")
	if a != b || a.Validate() != nil {
		t.Fatalf("pseudonym not stable or invalid: %s %s", a, b)
	}
	if p1.Of("acc_2") == a || p2.Of("acc_1") == a {
		t.Fatal("different subjects or secrets give the same pseudonym")
	}
	if _, err := audit.NewPseudonymizer([]byte("short")); err == nil {
		t.Fatal("short secret accepted")
	}
	if r := audit.NewPseudonym(); r.Validate() != nil || r == audit.NewPseudonym() {
		t.Fatalf("random pseudonym %s invalid or repeated", r)
	}
}

type fakeTx struct{ got []audit.Entry }

func (f *fakeTx) AppendAudit(e ...audit.Entry) error { f.got = append(f.got, e...); return nil }

func TestLogStampsTimePolicyAndRequest(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	l := &audit.Log{Clock: clock.NewFixed(now), PolicyVersion: func() string { return "v7" }}
	var tx fakeTx
	ctx := audit.WithRequestID(context.Background(), "req-9")
	if err := l.Record(ctx, &tx, audit.Entry{Action: audit.ConsentGive, Actor: audit.System("web")}); err != nil {
		t.Fatal(err)
	}
	e := tx.got[0]
	if !e.Time.Equal(now) || e.PolicyVersion != "v7" || e.RequestID != "req-9" {
		t.Fatalf("got %+v", e)
	}
}

func TestKeyIsGeneratedOnceWithMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.key")
	s1, created, err := audit.LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("first use: created=%v err=%v", created, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
	s2, created, err := audit.LoadOrCreateKey(path)
	if err != nil || created || s2.KeyID() != s1.KeyID() {
		t.Fatalf("second use: created=%v err=%v, key %s vs %s", created, err, s2.KeyID(), s1.KeyID())
	}
	var h audit.Hash
	h[0] = 7
	head := s1.Head(10, h)
	if !head.Verify(s2.Public()) {
		t.Fatal("signature does not verify with the reloaded key")
	}
	if head.Seq = 11; head.Verify(s2.Public()) {
		t.Fatal("signature for size 10 verifies for size 11")
	}
	if _, err := audit.LoadKey(filepath.Join(t.TempDir(), "none.key")); steward.ErrorCode(err) != steward.ENOTFOUND {
		t.Fatalf("missing key: %v", err)
	}
}

// TestPublicKeyRoundTrips: what 'audit pubkey' prints is what 'audit verify
// --pubkey' reads, and so is the hex the creation message shows; the
// private key file is refused where a public key belongs.
func TestPublicKeyRoundTrips(t *testing.T) {
	dir := t.TempDir()
	priv := filepath.Join(dir, "audit.key")
	s, _, err := audit.LoadOrCreateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pemFile := filepath.Join(dir, "audit.pub")
	os.WriteFile(pemFile, audit.MarshalPublicKey(s.Public()), 0o644)
	hexFile := filepath.Join(dir, "audit.hex")
	os.WriteFile(hexFile, []byte(hex.EncodeToString(s.Public())+"\n"), 0o644)
	for _, f := range []string{pemFile, hexFile} {
		pub, err := audit.LoadPublicKey(f)
		if err != nil || audit.KeyID(pub) != s.KeyID() {
			t.Fatalf("%s: %v, key id %s want %s", filepath.Base(f), err, audit.KeyID(pub), s.KeyID())
		}
	}
	bad := filepath.Join(dir, "bad.pub")
	os.WriteFile(bad, []byte("not a key"), 0o644)
	for _, f := range []string{priv, bad} {
		if _, err := audit.LoadPublicKey(f); steward.ErrorCode(err) != steward.EINVALID || !strings.Contains(steward.ErrorMessage(err), f) {
			t.Errorf("%s: %v, want EINVALID naming the file", filepath.Base(f), err)
		}
	}
	if _, err := audit.LoadPublicKey(filepath.Join(dir, "none.pub")); steward.ErrorCode(err) != steward.ENOTFOUND {
		t.Fatalf("missing public key: %v", err)
	}
}
