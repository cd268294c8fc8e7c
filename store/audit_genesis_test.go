package store_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// TestAuditGenesisOfAnUpgradedDatabase: a database that held entries
// before migration 0015 gets an unsealed genesis, which the first append
// with the key seals at that entry; from then on emptying the audit
// tables is reported, and the genesis is never sealed again (issue 14,
// finding 2; on both stores).
func TestAuditGenesisOfAnUpgradedDatabase(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", testkit.SQLiteDSN}, {"postgres", testkit.PostgresDSN}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := tc.dsn(t)
			s, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			all, err := store.Migrations()
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(all, func(m store.Migration) bool { return m.Name == "audit_genesis" })
			if i < 0 {
				t.Fatal("no audit_genesis migration")
			}
			if _, err := store.MigrateWith(ctx, s, all[:i]); err != nil {
				t.Fatal(err)
			}
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			signer := audit.NewSigner(priv)
			s.SetAuditSigner(signer, 1000)
			appendOne := func() {
				t.Helper()
				if err := s.InTx(ctx, func(tx *store.Tx) error {
					return tx.AppendAudit(audit.Entry{Time: time.Now(), Action: audit.PolicyLoad, Actor: audit.System("serve")})
				}); err != nil {
					t.Fatal(err)
				}
			}
			verify := func() *audit.Report {
				t.Helper()
				r, err := audit.Verify(ctx, s.Audit(), audit.VerifyOptions{Key: signer.Public()})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			// Before 0015 appends do not touch the genesis (it is not there).
			for range 3 {
				appendOne()
			}
			if _, err := store.MigrateWith(ctx, s, all); err != nil {
				t.Fatal(err)
			}
			if r := verify(); r.Broken != nil || r.Genesis.State != audit.GenesisUnsealed || r.Checked != 3 {
				t.Fatalf("after the upgrade: %+v, want 3 entries intact and the genesis unsealed", r)
			}
			// A new Store, as a restarted server: the first append seals.
			s2, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			s2.SetAuditSigner(signer, 1000)
			s = s2
			appendOne()
			appendOne()
			r := verify()
			if r.Broken != nil || r.Genesis.State != audit.GenesisSealed || r.Genesis.Size != 4 || !r.Genesis.Verify(signer.Public()) {
				t.Fatalf("after appending: %+v, genesis %+v; want intact, sealed at entry 4", r, r.Genesis)
			}
			for _, q := range []string{`DELETE FROM audit_log`, `DELETE FROM audit_head`, `DELETE FROM audit_checkpoints`} {
				tamperSQL(t, s, q)
			}
			tamperSQL(t, s, `INSERT INTO audit_head (id, seq, hash, key_id, signature) VALUES (1, 0, NULL, '', NULL)`)
			appendOne()
			r = verify()
			if r.Broken == nil || r.Broken.Seq != 2 || !strings.Contains(r.Broken.Reason, "the genesis record vouches for entry 4 but the log ends at 1") || r.Genesis.Size != 4 {
				t.Fatalf("after a wipe and an append: %+v (broken %v); want broken at 2, the genesis still at 4", r, r.Broken)
			}
		})
	}
}
