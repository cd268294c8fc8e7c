package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"steward"
	"steward/apikey"
	"steward/audit"
	"steward/internal/wiring"
)

// The machine API's keys (issue 16 item 4, R8): one per client system,
// bound to a processor of the policy and a scope. The secret is printed
// once; only its hash is kept. Every change is audited to the staff
// account (ids only).

func runAPIKeysCreate(ctx context.Context, a *app, args []string) error {
	fs := a.flags("api-keys create", "--recipient PROCESSOR --scope xapi [--expires DATE] --staff ID",
		"Creates a key for a client system of one of the policy's processors (e.g.\n"+
			"avetica, the learning environment) and prints its id and secret. The\n"+
			"secret is shown this once and stored only as a hash: give it to the\n"+
			"client now. The client sends it as HTTP Basic (id as user, secret as\n"+
			"password). Scope xapi posts learning results to /xapi/statements.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	recipient := fs.String("recipient", "", "the policy's processors entry the key belongs to")
	scope := fs.String("scope", "", "what the key may do: xapi")
	expires := fs.String("expires", "", "the day the key stops working, YYYY-MM-DD (default: never)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *recipient == "" {
		return steward.FieldError("recipient", "error.is_required")
	}
	if *scope == "" {
		return steward.FieldError("scope", "error.is_required")
	}
	var until time.Time
	if *expires != "" {
		day, err := time.Parse(time.DateOnly, *expires)
		if err != nil {
			return steward.Errorf(steward.EINVALID, "error.flag_must_be_a_date", "flag", "expires", "value", *expires)
		}
		until = day
	}
	svc, done, err := a.keyService(ctx, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer done()
	c, err := svc.svc.APIKeys.Create(ctx, svc.actor, *recipient, apikey.Scope(*scope), until)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "key %s for %s, scope %s\nsecret %s\n(shown once: store it in the client now)\n", c.Key.ID, c.Key.Processor, c.Key.Scope, c.Secret)
	return nil
}

func runAPIKeysRotate(ctx context.Context, a *app, args []string) error {
	fs := a.flags("api-keys rotate", "ID --staff ID",
		"Gives a key a new secret and prints it once; the old secret is refused from\n"+
			"now on. A revoked key cannot be rotated.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	svc, done, err := a.keyService(ctx, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer done()
	c, err := svc.svc.APIKeys.Rotate(ctx, svc.actor, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "key %s rotated\nsecret %s\n(shown once: store it in the client now)\n", c.Key.ID, c.Secret)
	return nil
}

func runAPIKeysRevoke(ctx context.Context, a *app, args []string) error {
	fs := a.flags("api-keys revoke", "ID --staff ID", "Stops a key for good: every request with it is refused (401).")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	svc, done, err := a.keyService(ctx, *db, *pol, *staff)
	if err != nil {
		return err
	}
	defer done()
	k, err := svc.svc.APIKeys.Revoke(ctx, svc.actor, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "key %s revoked on %s\n", k.ID, k.RevokedAt.Format(time.DateOnly))
	return nil
}

func runAPIKeysList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("api-keys list", "[--format table|json]", "Lists the keys with their processor, scope and state; never a secret.")
	db := a.dbFlag(fs)
	format := formatFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := format.check(); err != nil {
		return err
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	keys, err := s.APIKeys(ctx)
	if err != nil {
		return err
	}
	now := a.clock.Now()
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	}
	if format.json() {
		type row struct {
			ID        string `json:"id"`
			Recipient string `json:"recipient"`
			Scope     string `json:"scope"`
			State     string `json:"state"`
			Created   string `json:"created"`
			Rotated   string `json:"rotated,omitempty"`
			Expires   string `json:"expires,omitempty"`
			Revoked   string `json:"revoked,omitempty"`
		}
		out := make([]row, 0, len(keys))
		for _, k := range keys {
			out = append(out, row{k.ID, k.Processor, string(k.Scope), k.State(now), day(k.CreatedAt), day(k.RotatedAt), day(k.ExpiresAt), day(k.RevokedAt)})
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECIPIENT\tSCOPE\tSTATE\tCREATED\tEXPIRES")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Processor, k.Scope, k.State(now), day(k.CreatedAt), day(k.ExpiresAt))
	}
	return tw.Flush()
}

type keyServices struct {
	svc   *wiring.Services
	actor audit.Actor
}

// keyService opens the database for an audited change by a staff member
// and builds the services.
func (a *app) keyService(ctx context.Context, db, pol, staff string) (*keyServices, func(), error) {
	p, err := loadPolicy(pol)
	if err != nil {
		return nil, nil, err
	}
	svc, s, actor, err := a.staffServices(ctx, db, staff, p)
	if err != nil {
		return nil, nil, err
	}
	return &keyServices{svc: svc, actor: actor}, func() { s.Close() }, nil
}
