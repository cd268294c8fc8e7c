package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/erasure"
	"steward/internal/testkit"
	"steward/oidc"
	"steward/store"
)

// TestAnonymisingAnAccountTakesItsLMSSignInsAlong: an account that signed
// in to the LMS through Steward's OpenID provider has a grant and a token
// naming it; anonymising it (a policy whose account erasure is anonymise,
// Z9) deletes them like its sessions, instead of failing on their foreign
// keys when the row gets its new id (both stores).
func TestAnonymisingAnAccountTakesItsLMSSignInsAlong(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		a := &account.Account{ID: "a_anna", Email: "anna@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: now}
		c := &oidc.Client{ID: "cl_1", Name: "lms", Recipient: "avetica", SecretHash: "h", RedirectURIs: []string{"https://lms.example/cb"},
			CreatedAt: now, SecretAt: now}
		g := &oidc.Grant{ID: "gr_1", ClientID: c.ID, RedirectURI: "https://lms.example/cb", Scopes: []string{"openid"}, ResponseType: "code", CreatedAt: now}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
			if err := tx.InsertOIDCClient(ctx, c); err != nil {
				return err
			}
			if err := tx.InsertOIDCGrant(ctx, g); err != nil {
				return err
			}
			if err := tx.SignInOIDCGrant(ctx, g.ID, a.ID, "7", now); err != nil {
				return err
			}
			return tx.InsertOIDCToken(ctx, &oidc.Token{ID: "tok-hash", GrantID: g.ID, ClientID: c.ID, AccountID: a.ID, Subject: "7",
				Scopes: g.Scopes, CreatedAt: now, ExpiresAt: now.Add(oidc.TokenLifetime)})
		})
		if err != nil {
			t.Fatal(err)
		}
		plan := erasure.Own(testkit.Policy(t, "ivm"), now)
		plan.Account = erasure.Anonymise
		var es []store.Erased
		err = s.InTx(ctx, func(tx *store.Tx) error {
			es, err = tx.EraseSubjects(ctx, plan, []string{a.ID})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(es[0].Anonymised, account.RecordID) {
			t.Errorf("erased %+v, want the account anonymised", es[0])
		}
		for _, table := range []string{"oidc_grants", "oidc_tokens", "accounts WHERE id = 'a_anna'"} {
			var n int
			if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d rows left, %v", table, n, err)
			}
		}
	})
}

// TestAccountTablesAreEveryTableReferencingAccounts: the tables an
// anonymisation empties of an account's rows are exactly those whose
// foreign keys name accounts in the schema, so a table added later with
// such a key cannot be forgotten.
func TestAccountTablesAreEveryTableReferencingAccounts(t *testing.T) {
	s := testkit.SQLite(t)
	rows, err := s.Read().QueryContext(context.Background(), `SELECT m.name, f."from" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
		WHERE m.type = 'table' AND f."table" = 'accounts' ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var schema [][2]string
	for rows.Next() {
		var tc [2]string
		if err := rows.Scan(&tc[0], &tc[1]); err != nil {
			t.Fatal(err)
		}
		schema = append(schema, tc)
	}
	listed := store.AccountTables()
	slices.SortFunc(listed, func(a, b [2]string) int {
		if a[0] != b[0] {
			return strings.Compare(a[0], b[0])
		}
		return strings.Compare(a[1], b[1])
	})
	if !slices.Equal(schema, listed) {
		t.Errorf("tables referencing accounts %v,\nanonymisation empties %v", schema, listed)
	}
}
