package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/learning"
	"steward/organisation"
	"steward/policy"
	"steward/store"
	"steward/voucher"
)

// BenchmarkVoucherReport10k measures the organisation's report (issue
// 17: "the report's query time for 10,000 redeemers") — the store's
// three reads and the staff views recorded in one transaction — and one
// redemption (preview and redeem, with its enrolment and LMS outbox row;
// the loop also inserts the account and a one-code batch) with 10,000
// redeemed codes in the tables, on each store, with the process's CPU
// per operation (cpu-ms/op; PostgreSQL's own not in it):
//
//	go test ./voucher/service/ -run X -bench VoucherReport10k -benchtime 3x
func BenchmarkVoucherReport10k(b *testing.B) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", testkit.SQLite}, {"postgres", testkit.Postgres}} {
		b.Run(tc.name, func(b *testing.B) {
			const n = 10000
			ctx := context.Background()
			s := tc.open(b)
			start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			p := testkit.Policy(b, "ivm")
			svc, err := wiring.New(wiring.Config{Policy: p, Store: s, Clock: clock.NewFixed(start)})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.Learning.Import(ctx, audit.Staff("a-po"), []learning.Course{{Slug: "polyfarmacie", Title: policy.Text{NL: "P", EN: "P"}, Published: true}}); err != nil {
				b.Fatal(err)
			}
			mgr := &account.Account{ID: "a-mgr", Role: account.RoleOrganisationManager, OrganisationID: "org-b"}
			batch := &voucher.Batch{ID: "vb-bench", Organisation: "org-b", Course: "polyfarmacie", Count: n + 1, ExpiresAt: start.AddDate(1, 0, 0), CreatedBy: "staff:x", CreatedAt: start}
			err = s.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.InsertOrganisation(ctx, &organisation.Organisation{ID: "org-b", Name: "Bench", CreatedAt: start}); err != nil {
					return err
				}
				hashes := make([]string, n)
				for i := range hashes {
					hashes[i] = fmt.Sprintf("h%05d", i)
				}
				if err := tx.InsertVoucherBatch(ctx, batch, hashes); err != nil {
					return err
				}
				for i := range n {
					id := fmt.Sprintf("a-%05d", i)
					if err := tx.InsertAccount(ctx, &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: start, ConfirmedAt: start}); err != nil {
						return err
					}
					if err := tx.PutProfile(ctx, p, id, "account", account.Values{"first_name": "F", "last_name": "L", "email": id + "@example.org"}, start); err != nil {
						return err
					}
					r := &store.Record{Subject: id, Kind: voucher.Kind, CreatedAt: start, Values: map[string]string{"course": "polyfarmacie", "redeemed_at": "2026-03-02"}}
					if err := tx.InsertRecord(ctx, p, r); err != nil {
						return err
					}
					if err := tx.RedeemVoucher(ctx, store.VoucherRedemption{Hash: hashes[i], RecordID: r.ID, At: start, NoticeHash: "x", NoticeLang: "nl"}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.Run("report", func(b *testing.B) {
				defer testkit.ReportCPU(b, testkit.CPUTime())
				for b.Loop() {
					rep, err := svc.Vouchers.Report(ctx, mgr, "org-b", "voucher_report")
					if err != nil || len(rep.Rows) != n {
						b.Fatalf("%d rows, %v", len(rep.Rows), err)
					}
				}
			})
			b.Run("query", func(b *testing.B) {
				cols := voucher.ReportColumns(p)
				defer testkit.ReportCPU(b, testkit.CPUTime())
				for b.Loop() {
					if rows, err := s.VoucherReport(ctx, "org-b", voucher.Purpose, cols); err != nil || len(rows) != n {
						b.Fatalf("%d rows, %v", len(rows), err)
					}
				}
			})
			b.Run("redeem", func(b *testing.B) {
				i := 0
				defer testkit.ReportCPU(b, testkit.CPUTime())
				for b.Loop() {
					i++
					id := fmt.Sprintf("r-%05d", i)
					a := &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: start, ConfirmedAt: start}
					code := voucher.NewCode()
					nc, _ := voucher.Normalise(code)
					if err := s.InTx(ctx, func(tx *store.Tx) error {
						if err := tx.InsertAccount(ctx, a); err != nil {
							return err
						}
						bb := *batch
						bb.ID, bb.Count = "vb-"+id, 1
						return tx.InsertVoucherBatch(ctx, &bb, []string{voucher.Hash(nc)})
					}); err != nil {
						b.Fatal(err)
					}
					o, err := svc.Vouchers.Preview(ctx, a, code, "nl")
					if err == nil {
						_, err = svc.Vouchers.Redeem(ctx, a, code, "nl", o.Notice.Hash)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
