package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/internal/wiring"
	"steward/oidc/provider"
	"steward/policy"
	"steward/store"
)

// The OpenID Connect client registry and signing keys (issue 16 item 3):
// the learning environment (Moodle's auth_oauth2) is registered as a
// client of a policy recipient, which decides the claims it receives.
// Every change is audited as the operator (system:cli), ids only.

// uriFlags collects repeated --redirect-uri flags.
type uriFlags []string

func (u *uriFlags) String() string { return strings.Join(*u, " ") }

func (u *uriFlags) Set(v string) error {
	*u = append(*u, v)
	return nil
}

// clientsCommand opens the database to change it and wires the provider
// as serve does; sealer is set when the command needs the data key.
func (a *app) clientsCommand(ctx context.Context, db, pol string, sealer func(*store.Store, *policy.Policy) (*account.Sealer, error)) (*store.Store, *provider.Service, error) {
	p, err := loadPolicy(pol)
	if err != nil {
		return nil, nil, err
	}
	s, err := a.openStoreToChange(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	cfg := wiring.Config{Policy: p, Store: s, Clock: a.clock}
	if sealer != nil {
		if cfg.Sealer, err = sealer(s, p); err != nil {
			s.Close()
			return nil, nil, err
		}
	}
	svc, err := wire(cfg)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, svc.OIDC, nil
}

// runClientsAdd registers a client and prints its id and secret, once.
func runClientsAdd(ctx context.Context, a *app, args []string) error {
	fs := a.flags("clients add", "--name NAME --recipient ID --redirect-uri URL [--redirect-uri URL ...] [--public]",
		"Registers an OpenID Connect client, such as the learning environment's\n"+
			"auth_oauth2, for a recipient of the policy (a processors entry with claims:):\n"+
			"it receives only the claims the policy declares for that recipient. Prints\n"+
			"the client id and secret; the secret is shown once and stored hashed.\n"+
			"--public registers a client without a secret, which must use PKCE S256.\n"+
			"Redirect URIs are compared exactly. Audited as oidc.client_add.")
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	name := fs.String("name", "", "the client's label, e.g. lms")
	recipient := fs.String("recipient", "", "the policy's processors entry, e.g. avetica")
	public := fs.Bool("public", false, "no secret; PKCE S256 required")
	var uris uriFlags
	fs.Var(&uris, "redirect-uri", "a redirect URI the client uses, e.g. https://lms.example/admin/oauth2callback.php; repeat for more")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" || *recipient == "" || len(uris) == 0 {
		fs.Usage()
		return errUsage
	}
	s, svc, err := a.clientsCommand(ctx, *db, *pol, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	c, secret, err := svc.AddClient(ctx, audit.System("cli"), provider.NewClient{Name: *name, Recipient: *recipient, RedirectURIs: uris, Public: *public})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "client %s (%s) for recipient %s\nclient_id: %s\n", c.Name, c.ID, c.Recipient, c.ID)
	if secret != "" {
		fmt.Fprintf(a.stdout, "client_secret (shown once): %s\n", secret)
	}
	return nil
}

// runClientsList lists the clients, never a secret.
func runClientsList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("clients list", "[--format table|json]", "Lists the OpenID Connect clients: id, name, recipient, redirect URIs, state.")
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
	list, err := s.OIDCClients(ctx)
	if err != nil {
		return err
	}
	state := func(revoked time.Time, public bool) string {
		switch {
		case !revoked.IsZero():
			return "revoked " + revoked.Format(time.DateOnly)
		case public:
			return "public"
		}
		return "confidential"
	}
	if format.json() {
		type row struct {
			ID           string   `json:"id"`
			Name         string   `json:"name"`
			Recipient    string   `json:"recipient"`
			RedirectURIs []string `json:"redirect_uris"`
			State        string   `json:"state"`
			Created      string   `json:"created"`
		}
		out := make([]row, 0, len(list))
		for _, c := range list {
			out = append(out, row{c.ID, c.Name, c.Recipient, c.RedirectURIs, state(c.RevokedAt, c.Public()), c.CreatedAt.Format(time.DateOnly)})
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tRECIPIENT\tSTATE\tREDIRECT URIS")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.Recipient, state(c.RevokedAt, c.Public()), strings.Join(c.RedirectURIs, " "))
	}
	return tw.Flush()
}

// runClientsRotateSecret replaces a client's secret and prints the new
// one, once.
func runClientsRotateSecret(ctx context.Context, a *app, args []string) error {
	fs := a.flags("clients rotate-secret", "NAME",
		"Gives the client a new secret, shown once; the old one stops working at once\n"+
			"(set the new one in the learning environment's issuer settings). Audited.")
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	s, svc, err := a.clientsCommand(ctx, *db, *pol, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	secret, err := svc.RotateSecret(ctx, audit.System("cli"), pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "client_secret of %s (shown once): %s\n", pos[0], secret)
	return nil
}

// runClientsRevoke revokes a client and its tokens.
func runClientsRevoke(ctx context.Context, a *app, args []string) error {
	fs := a.flags("clients revoke", "NAME",
		"Revokes the client: it can no longer sign anyone in, its tokens stop working,\n"+
			"and its id is never reused. Audited.")
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	pos, err := positional(fs, args, 1)
	if err != nil {
		return err
	}
	s, svc, err := a.clientsCommand(ctx, *db, *pol, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := svc.RevokeClient(ctx, audit.System("cli"), pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "client %s revoked\n", pos[0])
	return nil
}

// runClientsKeysRotate makes a new ID-token signing key.
func runClientsKeysRotate(ctx context.Context, a *app, args []string) error {
	fs := a.flags("clients keys rotate", "",
		"Makes a new key that signs ID tokens (RS256), its private half sealed with the\n"+
			"data key. The keys in use are retired but stay in the JWKS until the tokens\n"+
			"they signed have expired; keys retired longer ago are dropped. Run it, say,\n"+
			"every few months, or at once when a key may have leaked. Audited.")
	db, pol := a.dbFlag(fs), a.policyFlag(fs)
	keyFile := a.keyFileFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	s, svc, err := a.clientsCommand(ctx, *db, *pol, func(s *store.Store, p *policy.Policy) (*account.Sealer, error) {
		return commandSealer(ctx, a, s, p, *keyFile)
	})
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := svc.RotateKeys(ctx, audit.System("cli"))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "signing key %s in use; %d retired (published until their tokens expire), %d dropped\n", r.ID, r.Retired, r.Dropped)
	return nil
}

// commandSealer is the data key's sealer for a command on an existing
// database: the key the database records, never a new one (issue 13).
func commandSealer(ctx context.Context, a *app, s *store.Store, p *policy.Policy, keyFile string) (*account.Sealer, error) {
	dk, err := loadDataKey(a, p, keyFile)
	if err != nil {
		return nil, err
	}
	recorded, err := s.DataKeyID(ctx)
	if err != nil {
		return nil, err
	}
	if dk == nil || dk.key == nil {
		file := keyFile
		if dk != nil {
			file = dk.file
		}
		return nil, steward.Errorf(steward.EINVALID, "error.data_key_file_missing_recorded", "file", file, "recorded", recorded)
	}
	if id := dataKeyID(dk.key); recorded != "" && recorded != id {
		return nil, steward.Errorf(steward.EINVALID, "error.data_key_mismatch", "source", dk.source(), "id", id, "recorded", recorded)
	}
	return account.NewSealer(dk.key)
}
