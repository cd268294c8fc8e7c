package testkit

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"steward/audit"
	"steward/store"
)

// AuditSigner gives s a fresh signing key (in t.TempDir()) with a
// checkpoint every `every` entries (0: the default) and returns it, so
// tests can verify what they appended.
func AuditSigner(t testing.TB, s *store.Store, every uint64) *audit.Signer {
	t.Helper()
	signer, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit.key"))
	if err != nil {
		t.Fatalf("audit key: %v", err)
	}
	s.SetAuditSigner(signer, every)
	return signer
}

// AuditHead returns the number of the last audit entry: pass it as since
// to AssertAudit before the action under test.
func AuditHead(t testing.TB, s *store.Store) uint64 {
	t.Helper()
	h, err := s.Audit().Head(context.Background())
	if err != nil {
		t.Fatalf("audit head: %v", err)
	}
	return h.Seq
}

// AuditWant describes an expected audit entry. Action is required; every
// other zero field matches anything. Fields, when not nil, must be exactly
// the entry's field names (in any order).
type AuditWant struct {
	Action     audit.Action
	Actor      audit.Actor
	ObjectKind string
	ObjectID   string
	Subject    audit.Pseudonym
	Fields     []string
}

func (w AuditWant) String() string {
	var b strings.Builder
	b.WriteString(string(w.Action))
	if w.Actor != "" {
		fmt.Fprintf(&b, " by %s", w.Actor)
	}
	if w.ObjectKind != "" || w.ObjectID != "" {
		fmt.Fprintf(&b, " on %s/%s", w.ObjectKind, w.ObjectID)
	}
	if w.Subject != "" {
		fmt.Fprintf(&b, " about %s", w.Subject)
	}
	if w.Fields != nil {
		fmt.Fprintf(&b, " fields %v", w.Fields)
	}
	return b.String()
}

func (w AuditWant) matches(e audit.Entry) bool {
	if e.Action != w.Action ||
		(w.Actor != "" && e.Actor != w.Actor) ||
		(w.ObjectKind != "" && e.ObjectKind != w.ObjectKind) ||
		(w.ObjectID != "" && e.ObjectID != w.ObjectID) ||
		(w.Subject != "" && e.Subject != w.Subject) {
		return false
	}
	if w.Fields != nil {
		f := slices.Clone(w.Fields)
		slices.Sort(f)
		return slices.Equal(slices.Compact(f), e.Fields)
	}
	return true
}

func describe(e audit.Entry) string {
	return fmt.Sprintf("#%d %s by %s on %s/%s about %q fields %v", e.Seq, e.Action, e.Actor, e.ObjectKind, e.ObjectID, e.Subject, e.Fields)
}

// AuditSince returns the entries after since, oldest first.
func AuditSince(t testing.TB, s *store.Store, since uint64) []audit.Entry {
	t.Helper()
	var got []audit.Entry
	err := s.Audit().Scan(context.Background(), since+1, 0, func(e *audit.Entry) error {
		c := *e
		c.Fields = slices.Clone(e.Fields)
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatalf("read audit log: %v", err)
	}
	return got
}

// AssertAudit checks that the entries appended after since are exactly
// want, in order (G2: every change leaves its entry, and nothing else):
//
//	since := testkit.AuditHead(t, s)
//	... the action under test ...
//	testkit.AssertAudit(t, s, since, testkit.AuditWant{Action: audit.ProfileUpdate, Subject: p, Fields: []string{"first_name"}})
func AssertAudit(t testing.TB, s *store.Store, since uint64, want ...AuditWant) {
	t.Helper()
	got := AuditSince(t, s, since)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = want[i].matches(got[i])
	}
	if ok {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "audit entries after #%d:\n  got %d:\n", since, len(got))
	for _, e := range got {
		fmt.Fprintf(&b, "    %s\n", describe(e))
	}
	fmt.Fprintf(&b, "  want %d:\n", len(want))
	for _, w := range want {
		fmt.Fprintf(&b, "    %s\n", w)
	}
	t.Fatal(b.String())
}

// AssertAuditVerifies runs the full verification with signer's key and
// fails the test if the log is broken.
func AssertAuditVerifies(t testing.TB, s *store.Store, signer *audit.Signer) *audit.Report {
	t.Helper()
	r, err := audit.Verify(context.Background(), s.Audit(), audit.VerifyOptions{Key: signer.Public()})
	if err != nil {
		t.Fatalf("verify audit log: %v", err)
	}
	if r.Broken != nil {
		t.Fatalf("audit log is broken at %s", r.Broken)
	}
	return r
}

// AssertNoPersonalValues scans every column of every audit table for each
// of values (case-insensitively) and fails if one appears (G2: the log
// holds no personal values). Privacy tests pass the distinctive values of
// the subject they exercised: name, e-mail, postcode, BIG number.
func AssertNoPersonalValues(t testing.TB, s *store.Store, values ...string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`SELECT seq, at, actor, action, object_kind, object_id, subject, fields, policy_version, request_id, format, prev_hash, hash FROM audit_log ORDER BY seq`,
		`SELECT id, seq, hash, key_id, signature FROM audit_head`,
		`SELECT size, hash, at, key_id, signature FROM audit_checkpoints ORDER BY size`,
	} {
		rows, err := s.Read().QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("scan audit tables: %v", err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			cells := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range cells {
				ptrs[i] = &cells[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				t.Fatalf("scan audit tables: %v", err)
			}
			for i, c := range cells {
				var text string
				switch v := c.(type) {
				case []byte:
					text = string(v)
				case nil:
				default:
					text = fmt.Sprint(v)
				}
				for _, val := range values {
					if val != "" && strings.Contains(strings.ToLower(text), strings.ToLower(val)) {
						t.Errorf("audit column %s holds the personal value %q: %q", cols[i], val, text)
					}
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("scan audit tables: %v", err)
		}
		rows.Close()
	}
}
