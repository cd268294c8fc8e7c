package store_test

import (
	"context"
	"testing"
	"time"

	"steward/erasure"
	"steward/internal/testkit"
	"steward/policy"
	"steward/rights"
	"steward/store"
)

// TestEraseSubjectsForgetsRequestsAndDisclosuresOfTheWholeBatch: a
// retention batch erases several people at once; the requests and
// disclosures erasers work on the batch set-based, so every erased
// person's requests, staff notes and disclosure references go in one go,
// and a person outside the batch keeps theirs.
func TestEraseSubjectsForgetsRequestsAndDisclosuresOfTheWholeBatch(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := testkit.Policy(t, "ivm")
		day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		accts := []string{}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for i, n := range []int{2, 1, 1} { // requests per person
				a := newAccount("person" + string(rune('a'+i)) + "@example.nl")
				if err := tx.InsertAccount(ctx, a); err != nil {
					return err
				}
				accts = append(accts, a.ID)
				for j := range n {
					r := &store.Request{ID: a.ID + "-req" + string(rune('0'+j)), SubjectID: a.ID, SubjectPseudonym: a.Pseudonym,
						Type: string(rights.TypeAccess), Channel: string(rights.ChannelEmail), ReceivedOn: day, Details: "asked by phone, Marktstraat 1",
						Status: string(rights.StatusCompleted), ClosedOn: day, Outcome: "sent the copy", CreatedAt: day, CreatedBy: "staff:1"}
					if err := tx.InsertRequest(ctx, r); err != nil {
						return err
					}
					if err := tx.AddRequestStep(ctx, r.ID, store.RequestStep{At: day, Kind: string(rights.StepNote), Actor: "staff:1", Note: "called back on 0612345678"}); err != nil {
						return err
					}
				}
				if err := tx.InsertDisclosure(ctx, &store.Disclosure{ID: a.ID + "-dis", SubjectID: a.ID, SubjectPseudonym: a.Pseudonym,
					Ground: "police", Recipient: "police", LegalBasis: policy.LegalObligation, Reference: "case 2026-17",
					DisclosedOn: day, RecordedAt: day, RecordedBy: "staff:1"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.EraseSubjects(ctx, erasure.Own(p, day), accts[:2])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		count := func(q string) int {
			t.Helper()
			var n int
			if err := s.Read().QueryRowContext(ctx, q).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		for _, c := range []struct {
			q    string
			want int
		}{
			{`SELECT COUNT(*) FROM requests WHERE subject_id = '' AND details = '' AND outcome = ''`, 3},
			{`SELECT COUNT(*) FROM requests WHERE subject_id = '` + accts[2] + `' AND details <> ''`, 1},
			{`SELECT COUNT(*) FROM request_steps WHERE note = ''`, 3},
			{`SELECT COUNT(*) FROM request_steps WHERE note <> ''`, 1},
			{`SELECT COUNT(*) FROM disclosures WHERE subject_id = '' AND reference = ''`, 2},
			{`SELECT COUNT(*) FROM disclosures WHERE subject_id = '` + accts[2] + `' AND reference <> ''`, 1},
		} {
			if got := count(c.q); got != c.want {
				t.Errorf("%s: %d, want %d", c.q, got, c.want)
			}
		}
	})
}
