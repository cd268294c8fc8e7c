package runner_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"steward/audit"
	"steward/erasure"
	"steward/internal/testkit"
	"steward/retention/runner"
	"steward/store"
)

// orderCount counts the order records left, and those whose values are
// still there.
func (e *env) orders() (records, values int) {
	e.t.Helper()
	if err := e.s.Read().QueryRow(`SELECT COUNT(*) FROM records WHERE kind = 'invoice'`).Scan(&records); err != nil {
		e.t.Fatal(err)
	}
	if err := e.s.Read().QueryRow(`SELECT COUNT(*) FROM record_values v JOIN records r ON r.id = v.record_id WHERE r.kind = 'invoice'`).Scan(&values); err != nil {
		e.t.Fatal(err)
	}
	return records, values
}

// erase is a person's own erasure (the rights desk's path).
func (e *env) erase(subject string) {
	e.t.Helper()
	ctx := context.Background()
	err := e.s.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.EraseSubject(ctx, erasure.Own(e.p, e.clk.Now()), subject)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestKeptOrdersGoWhenTheirKeepPeriodEnds: IVM keeps a person's invoices
// after erasure for seven years from the invoice (erasure: keep, Art. 52
// AWR); the runner removes each on the day its period ends, not a day
// before, audited as retention.delete on the invoice; invoices of an account
// that still exists are its rules' business and stay.
func TestKeptOrdersGoWhenTheirKeepPeriodEnds(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, "ivm", "2023-03-01")
		e.account(acct{id: "a_gone", email: "gone@example.org", created: "2016-01-01", login: "2023-02-01", confirm: "2016-01-01"})
		e.record(&store.Record{Subject: "a_gone", Kind: "invoice", CreatedAt: day("2017-06-01"), Values: map[string]string{"invoice_number": "ORD-2017"}})
		e.record(&store.Record{Subject: "a_gone", Kind: "invoice", CreatedAt: day("2018-01-01"), Values: map[string]string{"invoice_number": "ORD-2018"}})
		e.account(acct{id: "a_live", email: "live@example.org", created: "2009-01-01", login: "2023-02-01", confirm: "2009-01-01"})
		e.record(&store.Record{Subject: "a_live", Kind: "invoice", CreatedAt: day("2010-01-01"), Values: map[string]string{"invoice_number": "ORD-2010"}})
		// An invoice comes with its order while the account exists: the
		// order is what the account's 7-year rule counts.
		e.record(&store.Record{Subject: "a_live", Kind: "order", CreatedAt: day("2010-01-01")})
		e.erase("a_gone")
		if n, _ := e.orders(); n != 3 {
			t.Fatalf("erasure kept %d orders, want all 3 (the erased person's two for bookkeeping)", n)
		}

		// One day before the end of the keep period of ORD-2017.
		e.clk.Set(day("2024-05-31"))
		if got := e.runPlan().PerRule["keep:invoice"]; got == nil || got.Total() != 0 {
			t.Fatalf("plan a day before: %+v", got)
		}
		e.run()
		if n, _ := e.orders(); n != 3 || len(e.entries(audit.RetentionDelete)) != 0 {
			t.Fatalf("a day before: %d orders left, %d deletes", n, len(e.entries(audit.RetentionDelete)))
		}
		// The day it ends.
		e.clk.Set(day("2024-06-01"))
		plan := e.runPlan()
		if got := plan.PerRule["keep:invoice"]; got.Delete != 1 || len(plan.Items) != 1 || plan.Items[0].Subject != "a_gone" {
			t.Fatalf("plan on the day: %+v %+v", got, plan.Items)
		}
		e.run()
		if n, v := e.orders(); n != 2 || v != 2 {
			t.Fatalf("on the day: %d orders and %d values left, want 2 and 2", n, v)
		}
		del := e.entries(audit.RetentionDelete)
		if len(del) != 1 || del[0].ObjectKind != "invoice" || del[0].Actor != "system:retention" || del[0].Subject != "" {
			t.Fatalf("audit: %+v", del)
		}
		assertGone(t, s, "ORD-2017")
		// A day after: nothing twice; the 2018 order waits for 2025.
		e.clk.Set(day("2024-06-02"))
		e.run()
		if n := len(e.entries(audit.RetentionDelete)); n != 1 {
			t.Fatalf("%d deletes a day after, want still 1", n)
		}
		e.clk.Set(day("2025-01-01"))
		e.run()
		if n, _ := e.orders(); n != 1 {
			t.Fatalf("%d orders left in 2025, want a_live's", n)
		}
		if !e.exists("a_live") {
			t.Fatal("a_live was deleted")
		}
	})
}

// TestKeptOrdersResume: a run killed between batches of kept orders,
// then run again, deletes each exactly once.
func TestKeptOrdersResume(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, "ivm", "2023-03-01")
		e.account(acct{id: "a_gone", email: "gone@example.org", created: "2010-01-01", login: "2023-02-01", confirm: "2010-01-01"})
		for i := range 9 {
			e.record(&store.Record{Subject: "a_gone", Kind: "invoice", CreatedAt: day(fmt.Sprintf("2011-0%d-01", i+1)),
				Values: map[string]string{"invoice_number": "ORD-" + strconv.Itoa(i)}})
		}
		e.erase("a_gone")
		e.r.Rules, e.r.Batch = []string{"keep:invoice"}, 2
		killed := errors.New("killed")
		e.r.AfterBatch = func(n int) error {
			if n == 2 {
				return killed
			}
			return nil
		}
		if _, err := e.r.Run(context.Background()); !errors.Is(err, killed) {
			t.Fatalf("killed run: %v", err)
		}
		if n, _ := e.orders(); n != 5 {
			t.Fatalf("after two batches of two: %d orders left, want 5", n)
		}
		e.r.AfterBatch = nil
		e.run()
		e.run()
		seen := map[string]int{}
		for _, en := range e.entries(audit.RetentionDelete) {
			seen[en.ObjectID]++
		}
		if n, _ := e.orders(); n != 0 || len(seen) != 9 {
			t.Fatalf("%d orders left, %d audited", n, len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("order %s: %d delete entries", id, n)
			}
		}
	})
}

func TestKeepRuleIDs(t *testing.T) {
	e := newEnv(t, testkit.SQLite(t), "ivm", "2024-01-01")
	if err := runner.CheckRule(e.r.Engine, "keep:invoice"); err != nil {
		t.Fatal(err)
	}
	if err := runner.CheckRule(e.r.Engine, "keep:download"); err == nil {
		t.Fatal("downloads are not kept after erasure; keep:download must be unknown")
	}
}
