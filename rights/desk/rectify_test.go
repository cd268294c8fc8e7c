package desk_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"steward"
	"steward/account"
	"steward/account/service"
	"steward/audit"
	"steward/internal/testkit"
	"steward/rights"
	"steward/store"
)

// TestRectificationNeedsAnEdit (issue 13, Art. 16): a rectification
// request is completed as done only after a privacy officer corrected the
// person's record from it. The edit is validated by the profile's rules
// (declared fields only, each by its type; never the login address),
// changes only what differs, is refused when it changes nothing, and is
// audited by the staff member with field names, never values; the
// request's timeline says which fields. Refusing ("nothing to correct")
// needs no edit.
func TestRectificationNeedsAnEdit(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, "ivm", "2025-02-03")
		sealer, err := account.NewSealer(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		f.d.Profiles = &service.Service{Policy: f.d.Policy, Store: s, Clock: f.clk, Sealer: sealer}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.PutProfile(ctx, f.d.Policy, f.person.ID, "account", account.Values{"first_name": "Jna", "last_name": "Jansen"}, f.clk.Now())
		}); err != nil {
			t.Fatal(err)
		}
		r := f.add(t, rights.TypeRectification, "2025-02-03")

		// Unverified: no edit, no completion.
		_, err = f.d.Rectify(ctx, staff, r.ID, map[string]map[string]string{"account": {"first_name": "Jan"}})
		wantCode(t, err, steward.ECONFLICT)
		if _, err := f.d.VerifyManually(ctx, staff, r.ID, "called back on the number in the account"); err != nil {
			t.Fatal(err)
		}
		_, err = f.d.Complete(ctx, staff, r.ID, "corrected")
		wantCode(t, err, steward.ECONFLICT)

		// Bad edits change nothing: an undeclared field, the login
		// address, a value too long, an edit equal to what is stored.
		for name, in := range map[string]map[string]map[string]string{
			"undeclared field": {"account": {"shoe_size": "44"}},
			"login address":    {"account": {"email": "other@example.org"}},
			"too long":         {"account": {"first_name": strings.Repeat("x", 101)}},
			"undeclared kind":  {"payroll": {"iban": "NL00"}},
			"nothing changed":  {"account": {"first_name": "Jna", "last_name": "Jansen"}},
		} {
			if _, err := f.d.Rectify(ctx, staff, r.ID, in); steward.ErrorCode(err) != steward.EINVALID {
				t.Errorf("%s: %v, want EINVALID", name, err)
			}
		}
		if got, _ := s.Profile(ctx, f.person.ID, "account"); got["first_name"] != "Jna" {
			t.Fatalf("a refused edit changed the record: %v", got)
		}

		since := testkit.AuditHead(t, s)
		fields, err := f.d.Rectify(ctx, staff, r.ID, map[string]map[string]string{"account": {"first_name": "Jan", "last_name": "Jansen"}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fields, []string{"account.first_name"}) {
			t.Fatalf("changed %v, want only account.first_name", fields)
		}
		if got, _ := s.Profile(ctx, f.person.ID, "account"); got["first_name"] != "Jan" || got["last_name"] != "Jansen" {
			t.Fatalf("record after rectification: %v", got)
		}
		testkit.AssertAudit(t, s, since,
			testkit.AuditWant{Action: audit.ProfileUpdate, Actor: staff, ObjectID: f.person.ID, Fields: []string{"account.first_name"}},
			testkit.AuditWant{Action: audit.RequestStep, Actor: staff, ObjectID: r.ID, Fields: []string{"rectified"}})
		testkit.AssertNoPersonalValues(t, s, "Jna")

		done, err := f.d.Complete(ctx, staff, r.ID, "first name corrected")
		if err != nil {
			t.Fatal(err)
		}
		it, err := f.d.Request(ctx, done.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(it.Steps, func(st rights.Step) bool { return st.Kind == rights.StepRectified })
		if it.Status != rights.StatusCompleted || i < 0 || it.Steps[i].Note != "account.first_name" {
			t.Fatalf("timeline %+v, status %s", it.Steps, it.Status)
		}
		// Closed: no more edits.
		_, err = f.d.Rectify(ctx, staff, r.ID, map[string]map[string]string{"account": {"first_name": "Johan"}})
		wantCode(t, err, steward.ECONFLICT)

		// Nothing to correct: refused with the reason, no edit needed.
		r2 := f.add(t, rights.TypeRectification, "2025-02-03")
		if _, err := f.d.VerifyManually(ctx, staff, r2.ID, "identity card at the desk"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.d.Refuse(ctx, staff, r2.ID, "the name is spelt as on the registration form"); err != nil {
			t.Fatal(err)
		}
		// Another type is not rectified here.
		acc := f.add(t, rights.TypeAccess, "2025-02-03")
		_, err = f.d.Rectify(ctx, staff, acc.ID, map[string]map[string]string{"account": {"first_name": "Johan"}})
		wantCode(t, err, steward.ECONFLICT)
	})
}
