package audit_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"steward/audit"
)

// benchEntry is an entry like those 'steward audit bench' appends: 170
// bytes of canonical encoding.
func benchEntry() audit.Entry {
	e := audit.Entry{Seq: 123456, Time: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Actor: audit.System("bench"),
		Action: audit.ProfileUpdate, ObjectKind: "account", ObjectID: "a_123456", Subject: "ps_0123456789abcdef0123456789abcdef",
		Fields: []string{"first_name", "last_name"}, PolicyVersion: "bench", RequestID: "bench-123456"}
	e.Normalize()
	return e
}

// BenchmarkComputeHash is what verification spends per entry on hashing:
// the canonical encoding and SHA-256 over it.
func BenchmarkComputeHash(b *testing.B) {
	e := benchEntry()
	b.SetBytes(int64(len(audit.AppendCanonical(nil, &e))))
	for b.Loop() {
		e.Hash = e.ComputeHash()
	}
}

// BenchmarkSHA256 is raw SHA-256 over as many bytes as an entry's
// encoding: the floor for hashing a million entries on one core.
func BenchmarkSHA256(b *testing.B) {
	e := benchEntry()
	buf := audit.AppendCanonical(nil, &e)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		e.Hash = sha256.Sum256(buf)
	}
}

// BenchmarkVerifySignature is one ed25519 check, made for every stored
// checkpoint (1,000 in a log of a million entries) and the head.
func BenchmarkVerifySignature(b *testing.B) {
	s := audit.NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	cp := s.Checkpoint(1000, audit.Hash{1}, time.Time{})
	for b.Loop() {
		if !cp.Verify(s.Public()) {
			b.Fatal("does not verify")
		}
	}
}
