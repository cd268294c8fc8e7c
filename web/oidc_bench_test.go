package web_test

import (
	"context"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"steward/account"
	"steward/internal/testkit"
)

// BenchmarkOIDCLogin: complete sign-ins of the learning environment, one
// after another, over HTTP on SQLite, as go-oidc and x/oauth2 make them:
// the authorisation request, Steward's login page (a fresh browser each
// time, so every sign-in logs in), the callback's code, the exchange with
// PKCE, ID-token verification and userinfo (the BIG number opened and its
// disclosure recorded). With "argon2id" the login hashes at the real
// parameters, so logins/s compares with BenchmarkArgon2id's hashes/s (the
// ceiling of a login on one core); with "hash_excluded" it measures
// Steward's and the library's own work.
func BenchmarkOIDCLogin(b *testing.B) {
	for _, c := range []struct {
		name string
		hash account.HashParams
	}{{"argon2id", account.DefaultParams}, {"hash_excluded", minimalHash}} {
		b.Run(c.name, func(b *testing.B) {
			old := cheapHash
			cheapHash = c.hash
			b.Cleanup(func() { cheapHash = old })
			st := newSite(b, testkit.SQLite(b), "ivm")
			fillLMSAccount(b, st.loggedInPerson("anna@example.org"))
			l := newLMS(b, st, false)
			verifier := l.provider.Verifier(&gooidc.Config{ClientID: l.clientID})
			ctx := context.Background()
			v := oauth2.GenerateVerifier()
			b.ReportAllocs()
			for b.Loop() {
				// The per-account login bucket refills a token every three
				// minutes.
				st.clock.Advance(3 * time.Minute)
				code := l.authorize(b, st.browser(), oauth2.S256ChallengeOption(v), gooidc.Nonce("n"))
				tok, err := l.conf.Exchange(ctx, code, oauth2.VerifierOption(v))
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := tok.Extra("id_token").(string)
				if _, err := verifier.Verify(ctx, raw); err != nil {
					b.Fatal(err)
				}
				if _, err := l.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
		})
	}
}
