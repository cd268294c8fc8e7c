package store_test

import (
	"context"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/internal/testkit"
	"steward/store"
)

var acctT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newAccount(email string) *account.Account {
	return &account.Account{ID: account.NewID("a-"), Email: email, Pseudonym: "ps_" + account.NewID("")[:32], CreatedAt: acctT0}
}

func TestAccountsUniqueByEmailIgnoringCase(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := newAccount("Ann@example.nl")
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
			t.Fatal(err)
		}
		err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, newAccount("ann@EXAMPLE.nl")) })
		if steward.ErrorCode(err) != steward.ECONFLICT {
			t.Fatalf("second account with the same address: %v, want conflict", err)
		}
		got, err := s.AccountByEmail(ctx, "ANN@example.NL")
		if err != nil || got.ID != a.ID || got.Confirmed() || !got.CreatedAt.Equal(acctT0) {
			t.Fatalf("lookup: %+v %v", got, err)
		}
		if _, err := s.AccountByID(ctx, "a-none"); steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Fatalf("unknown id: %v", err)
		}
	})
}

func TestProfileRefusesUndeclaredAndPlaintextSensitive(t *testing.T) {
	p := testkit.Policy(t, "ivm")
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := newAccount("b@example.nl")
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
			t.Fatal(err)
		}
		put := func(record string, v account.Values) error {
			return s.InTx(ctx, func(tx *store.Tx) error { return tx.PutProfile(ctx, p, a.ID, record, v, acctT0) })
		}
		if err := put("account", account.Values{"first_name": "Bea", "religion": "x"}); err == nil {
			t.Fatal("undeclared field stored (R4)")
		}
		if err := put("diary", account.Values{"x": "y"}); err == nil {
			t.Fatal("undeclared record stored (R4)")
		}
		if err := put("lms_account", account.Values{"register_number": "12345678901"}); err == nil {
			t.Fatal("sensitive value stored in plaintext (R3)")
		}
		if err := put("account", account.Values{"first_name": "Bea", "sector": "zorg"}); err != nil {
			t.Fatal(err)
		}
		if err := put("account", account.Values{"sector": ""}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Profile(ctx, a.ID, "account")
		if err != nil || len(got) != 1 || got["first_name"] != "Bea" {
			t.Fatalf("profile %v %v", got, err)
		}
	})
}

func TestTokensAreSingleUseAndExpire(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := newAccount("c@example.nl")
		secret, hash := account.NewSecret()
		_, oldHash := account.NewSecret()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
			if err := tx.InsertToken(ctx, oldHash, account.TokenReset, a.ID, acctT0, acctT0.Add(time.Hour)); err != nil {
				return err
			}
			return tx.InsertToken(ctx, hash, account.TokenReset, a.ID, acctT0, acctT0.Add(time.Hour))
		})
		if err != nil {
			t.Fatal(err)
		}
		use := func(h string, kind account.TokenKind, at time.Time) (string, error) {
			var id string
			err := s.InTx(ctx, func(tx *store.Tx) (err error) { id, err = tx.UseToken(ctx, h, kind, at); return err })
			return id, err
		}
		if _, err := use(account.HashSecret(secret), account.TokenVerify, acctT0); err == nil {
			t.Fatal("token used for another kind")
		}
		if id, err := use(account.HashSecret(secret), account.TokenReset, acctT0.Add(time.Minute)); err != nil || id != a.ID {
			t.Fatalf("first use: %q %v", id, err)
		}
		if _, err := use(hash, account.TokenReset, acctT0.Add(2*time.Minute)); err == nil {
			t.Fatal("token used twice")
		}
		if _, err := use(oldHash, account.TokenReset, acctT0.Add(2*time.Minute)); err == nil {
			t.Fatal("older token of the same kind still usable")
		}
		_, h2 := account.NewSecret()
		s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertToken(ctx, h2, account.TokenVerify, a.ID, acctT0, acctT0.Add(time.Hour))
		})
		if _, err := use(h2, account.TokenVerify, acctT0.Add(time.Hour)); err == nil {
			t.Fatal("expired token used")
		}
	})
}

func TestSessionsRevokeAndDeleteAccount(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := newAccount("d@example.nl")
		staff := newAccount("staff@example.nl")
		staff.Role = account.RolePrivacyOfficer
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, x := range []*account.Account{a, staff} {
				if err := tx.InsertAccount(ctx, x); err != nil {
					return err
				}
			}
			for range 2 {
				_, h := account.NewSecret()
				if err := tx.InsertSession(ctx, &account.Session{ID: h, AccountID: a.ID, CreatedAt: acctT0, LastSeen: acctT0, AuthAt: acctT0, CSRF: "x"}); err != nil {
					return err
				}
			}
			return tx.RecordStaffView(ctx, store.StaffView{At: acctT0, StaffID: staff.ID, SubjectID: a.ID, Fields: []string{"email", "first_name"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		views, err := s.StaffViewsOf(ctx, a.ID)
		if err != nil || len(views) != 1 || views[0].StaffID != staff.ID || len(views[0].Fields) != 2 {
			t.Fatalf("staff views %+v %v", views, err)
		}
		var n int64
		s.InTx(ctx, func(tx *store.Tx) (err error) { n, err = tx.RevokeSessions(ctx, a.ID); return err })
		if c, _ := s.CountSessions(ctx, a.ID); n != 2 || c != 0 {
			t.Fatalf("revoked %d, left %d", n, c)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(ctx, a.ID) }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AccountByID(ctx, a.ID); steward.ErrorCode(err) != steward.ENOTFOUND {
			t.Fatalf("deleted account still there: %v", err)
		}
		if v, _ := s.StaffViewsOf(ctx, a.ID); len(v) != 0 {
			t.Fatal("staff views outlive the account")
		}
	})
}
