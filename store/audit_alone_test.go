package store_test

import (
	"context"
	"sync"
	"testing"

	"steward"
	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// TestAuditAppendAloneStaysLinear: Store.AppendAudit (on PostgreSQL one
// statement on its own while the head is known) and InTx, from goroutines
// of two separately opened stores on one database, with checkpoints every
// 10 entries, give one chain without gap or fork whose every checkpoint
// and head signature verifies (issue 15).
func TestAuditAppendAloneStaysLinear(t *testing.T) {
	const goroutines, appends = 6, 25
	forEachDSN(t, func(t *testing.T, dsn string) {
		a, b := openMigrated(t, dsn), openMigrated(t, dsn)
		signer := testkit.AuditSigner(t, a, 10)
		b.SetAuditSigner(signer, 10)
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for g := range goroutines {
			st := a
			if g%2 == 1 {
				st = b
			}
			wg.Go(func() {
				for i := range appends {
					n := g*1000 + i*10
					var err error
					switch i % 3 {
					case 0, 1:
						// One entry, or two: across a checkpoint now and then.
						es := []audit.Entry{entry(n)}
						if i%3 == 1 {
							es = append(es, entry(n+1))
						}
						err = st.AppendAudit(ctx, es...)
					default:
						err = st.InTx(ctx, func(tx *store.Tx) error { return tx.AppendAudit(entry(n)) })
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		want := uint64(goroutines * (appends + (appends+1)/3))
		r := verify(t, a, signer, audit.VerifyOptions{CheckpointEvery: 10})
		if r.Broken != nil || r.Checked != want {
			t.Fatalf("checked %d of %d entries, broken: %v", r.Checked, want, r.Broken)
		}
		cps, err := a.Audit().Checkpoints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cps) != int(want/10) {
			t.Fatalf("%d checkpoints for %d entries, want one every 10", len(cps), want)
		}
	})
}

// TestAuditAppendAloneLinksAfterTheDatabasesHead: a store that appends
// alone after another store moved the head, or after the head row was set
// back, links after what the database holds, as InTx does; an entry that
// is not valid is refused with nothing written.
func TestAuditAppendAloneLinksAfterTheDatabasesHead(t *testing.T) {
	forEachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, b := openMigrated(t, dsn), openMigrated(t, dsn)
		signer := testkit.AuditSigner(t, a, 0)
		b.SetAuditSigner(signer, 0)
		for i := range 3 {
			if err := a.AppendAudit(ctx, entry(i)); err != nil {
				t.Fatal(err)
			}
		}
		appendN(t, b, 3, 2) // the head moves to 5 without a knowing
		if err := a.AppendAudit(ctx, entry(5)); err != nil {
			t.Fatal(err)
		}
		if r := verify(t, a, signer, audit.VerifyOptions{}); r.Broken != nil || r.Checked != 6 {
			t.Fatalf("after another store appended: checked %d of 6, broken: %v", r.Checked, r.Broken)
		}
		bad := entry(6)
		bad.Fields = []string{"first_name=Jan"}
		if err := a.AppendAudit(ctx, entry(6), bad); steward.ErrorCode(err) != steward.EINVALID {
			t.Fatalf("an entry carrying a value: err = %v, want invalid", err)
		}
		if h := testkit.AuditHead(t, a); h != 6 {
			t.Fatalf("head %d after a refused append, want 6", h)
		}
		// The head row set back to entry 4: a's cached head no longer
		// matches, so it links after what the row says.
		var h4 []byte
		if err := a.Read().QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE seq = 4`).Scan(&h4); err != nil {
			t.Fatal(err)
		}
		tamperSQL(t, b, `DELETE FROM audit_log WHERE seq > 4`)
		tamperSQL(t, b, `UPDATE audit_head SET seq = 4, hash = $1 WHERE id = 1`, h4)
		if err := a.AppendAudit(ctx, entry(7)); err != nil {
			t.Fatal(err)
		}
		if r := verify(t, a, signer, audit.VerifyOptions{}); r.Broken != nil || r.Checked != 5 {
			t.Fatalf("after the head was set back: checked %d of 5, broken: %v", r.Checked, r.Broken)
		}
	})
}
