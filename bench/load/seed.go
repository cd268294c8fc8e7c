package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"steward/account"
	"steward/audit"
	"steward/store"
)

// seedSteward inserts confirmed accounts straight into a migrated
// database. They share one argon2id hash at Steward's parameters (one
// salt): a login verifies exactly as it would with a hash of its own, and
// seeding costs one hash instead of thousands.
func seedSteward(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed-steward", flag.ExitOnError)
	dsn := fs.String("db", "", "database (sqlite:PATH or postgres://...), migrated")
	n := fs.Int("accounts", 1000, "accounts to create")
	fs.Parse(args)
	s, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	hash := account.HashPassword(Password, account.DefaultParams)
	now := time.Now().UTC()
	return s.InTx(ctx, func(tx *store.Tx) error {
		for i := range *n {
			a := &account.Account{ID: account.NewID("a-"), Email: email(i), PasswordHash: hash,
				Pseudonym: string(audit.NewPseudonym()), CreatedAt: now, ConfirmedAt: now}
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// seedPocketBase creates the same accounts in PocketBase's users
// collection through its API, as a superuser, eight at a time (each costs
// PocketBase a bcrypt hash).
func seedPocketBase(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed-pocketbase", flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:8090", "PocketBase base URL")
	n := fs.Int("accounts", 1000, "accounts to create")
	admin := fs.String("admin", "", "superuser e-mail")
	adminPW := fs.String("admin-password", "", "superuser password")
	fs.Parse(args)
	var tok struct {
		Token string `json:"token"`
	}
	if err := postJSON(ctx, *url+"/api/collections/_superusers/auth-with-password", "",
		map[string]any{"identity": *admin, "password": *adminPW}, &tok); err != nil {
		return fmt.Errorf("superuser login: %w", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				body := map[string]any{"email": email(i), "password": Password, "passwordConfirm": Password, "verified": true}
				if err := postJSON(ctx, *url+"/api/collections/users/records", tok.Token, body, nil); err != nil {
					select {
					case errs <- fmt.Errorf("account %d: %w", i, err):
					default:
					}
				}
			}
		})
	}
	for i := range *n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// postJSON posts body as JSON and decodes a 2xx answer into out.
func postJSON(ctx context.Context, url, token string, body, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %d %s", url, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}
