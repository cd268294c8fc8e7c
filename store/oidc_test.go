package store_test

import (
	"context"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/internal/testkit"
	"steward/oidc"
	"steward/store"
)

// TestOIDCGrantLifecycle (issue 16 item 3): a grant is signed in once,
// gets one code, is exchanged once (a second exchange racing it loses);
// revoking its tokens, pruning old grants and erasing the account leave
// no row that names the person (both stores).
func TestOIDCGrantLifecycle(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		a := &account.Account{ID: "a_anna", Email: "anna@example.org", Pseudonym: string(audit.NewPseudonym()), CreatedAt: now}
		c := &oidc.Client{ID: "cl_1", Name: "lms", Recipient: "avetica", SecretHash: "h", RedirectURIs: []string{"https://lms.example/cb", "https://lms.example/cb2"}, CreatedAt: now, SecretAt: now}
		g := &oidc.Grant{ID: "gr_1", ClientID: c.ID, RedirectURI: "https://lms.example/cb", Scopes: []string{"openid", "email"}, ResponseType: "code",
			CodeChallenge: "x", CodeMethod: "S256", Silent: true, AuthAfter: now.Add(-time.Minute), CreatedAt: now}
		count := func(table string) int {
			var n int
			if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
			if err := tx.InsertOIDCClient(ctx, c); err != nil {
				return err
			}
			return tx.InsertOIDCGrant(ctx, g)
		}))
		got, err := s.OIDCClient(ctx, c.ID)
		if err != nil || len(got.RedirectURIs) != 2 || !got.Registered("https://lms.example/cb2") || got.Registered("https://lms.example/cb3") {
			t.Fatalf("client read back: %+v %v", got, err)
		}
		must(s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.SetOIDCCode(ctx, g.ID, "code-hash", now); err == nil {
				t.Error("a code for a grant nobody signed in")
			}
			if err := tx.SignInOIDCGrant(ctx, g.ID, a.ID, "7", now); err != nil {
				return err
			}
			if err := tx.SignInOIDCGrant(ctx, g.ID, a.ID, "7", now); err == nil {
				t.Error("a grant signed in twice")
			}
			if err := tx.SetOIDCCode(ctx, g.ID, "code-hash", now); err != nil {
				return err
			}
			if err := tx.SetOIDCCode(ctx, g.ID, "other-hash", now); err == nil {
				t.Error("a second code for one grant")
			}
			won, err := tx.ExchangeOIDCGrant(ctx, g.ID, now)
			if err != nil || !won {
				t.Errorf("first exchange: %v %v", won, err)
			}
			if won, _ := tx.ExchangeOIDCGrant(ctx, g.ID, now); won {
				t.Error("a second exchange won")
			}
			return tx.InsertOIDCToken(ctx, &oidc.Token{ID: "tok-hash", GrantID: g.ID, ClientID: c.ID, AccountID: a.ID, Subject: "7",
				Scopes: g.Scopes, CreatedAt: now, ExpiresAt: now.Add(oidc.TokenLifetime)})
		}))
		byCode, err := s.OIDCGrantByCode(ctx, "code-hash")
		if err != nil || byCode.ExchangedAt.IsZero() || byCode.AccountID != a.ID || byCode.Subject != "7" || len(byCode.Scopes) != 2 ||
			!byCode.Silent || !byCode.AuthAfter.Equal(g.AuthAfter) || !byCode.AuthAt.Equal(now) {
			t.Fatalf("grant by code: %+v %v", byCode, err)
		}
		must(s.InTx(ctx, func(tx *store.Tx) error {
			if n, err := tx.RevokeOIDCTokens(ctx, g.ID, now); err != nil || n != 1 {
				t.Errorf("revoked %d tokens, %v", n, err)
			}
			// An exchanged grant stays (to recognise a replayed code).
			return tx.DeleteOIDCGrant(ctx, g.ID)
		}))
		if tok, err := s.OIDCToken(ctx, "tok-hash"); err != nil || tok.Valid(now) {
			t.Fatalf("a revoked token: %+v %v", tok, err)
		}
		if count("oidc_grants") != 1 {
			t.Fatal("deleting an exchanged grant removed it")
		}
		must(s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(ctx, a.ID) }))
		if n := count("oidc_grants") + count("oidc_tokens"); n != 0 {
			t.Fatalf("%d grant and token rows outlive the account", n)
		}
		must(s.InTx(ctx, func(tx *store.Tx) error {
			old := *g
			old.ID, old.CreatedAt = "gr_old", now.Add(-48*time.Hour)
			if err := tx.InsertOIDCGrant(ctx, &old); err != nil {
				return err
			}
			return tx.PruneOIDC(ctx, now.Add(-oidc.GrantKept))
		}))
		if count("oidc_grants") != 0 {
			t.Fatal("a grant older than GrantKept was not pruned")
		}
	})
}
