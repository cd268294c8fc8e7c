package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/clock"
	"steward/internal/testkit"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testApp returns an app whose output goes to buffers, whose environment is
// env only, and whose clock stands still.
func testApp(env map[string]string) (*app, *syncBuffer, *syncBuffer) {
	out, errOut := &syncBuffer{}, &syncBuffer{}
	return &app{stdout: out, stderr: errOut, getenv: func(k string) string { return env[k] },
		clock: clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))}, out, errOut
}

// run runs a command line and returns its exit code and output.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	a, out, errOut := testApp(env)
	code := a.main(context.Background(), args)
	return code, out.String(), errOut.String()
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := run(t, nil, "help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range []string{"serve", "migrate", "policy check", "version"} {
		if !strings.Contains(out, c) {
			t.Errorf("help does not list %q:\n%s", c, out)
		}
	}
}

func TestCommandHelpExplainsFlags(t *testing.T) {
	code, _, errOut := run(t, nil, "serve", "-h")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"STEWARD_DB", "STEWARD_POLICY", "STEWARD_ADDR", "-addr"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("serve -h does not mention %s:\n%s", want, errOut)
		}
	}
}

// TestGroupHelpListsItsCommands: a group's name with -h (or after 'help')
// lists the group's commands with their summaries; alone it lists them as
// a wrong command line; a wrong command in a group names the right ones.
func TestGroupHelpListsItsCommands(t *testing.T) {
	groups := map[string][]string{
		"policy":             {"policy check", "policy diff", "policy notices", "policy publish", "policy render"},
		"mail":               {"mail list", "mail show", "mail send-due", "mail prune"},
		"staff":              {"staff add"},
		"retention":          {"retention plan", "retention run", "retention override set"},
		"audit":              {"audit verify", "audit tail", "audit export", "audit checkpoint", "audit pubkey"},
		"retention override": {"retention override set", "retention override list", "retention override remove"},
	}
	for group, want := range groups {
		words := strings.Fields(group)
		for _, args := range [][]string{append(words, "-h"), append(words, "--help"), append(words, "help"), append([]string{"help"}, words...)} {
			code, out, errOut := run(t, nil, args...)
			if code != 0 || errOut != "" {
				t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
				continue
			}
			for _, c := range want {
				// Each command is listed with its summary.
				line := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c) + `  +\S.*$`)
				if !line.MatchString(out) {
					t.Errorf("%q does not list %q with a summary:\n%s", args, c, out)
				}
			}
			if strings.Contains(out, "serve") || strings.Contains(out, "keygen") {
				t.Errorf("%q lists commands outside the group:\n%s", args, out)
			}
		}
		code, out, errOut := run(t, nil, words...)
		if code != 2 || out != "" || !strings.Contains(errOut, "  "+want[0]+" ") {
			t.Errorf("%q alone: exit %d, want 2 and the group's commands on stderr:\n%s", group, code, errOut)
		}
	}
	code, _, errOut := run(t, nil, "policy", "frobnicate")
	if code != 2 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, `unknown command "policy frobnicate"`) || !strings.Contains(errOut, "check, diff, notices, publish, render") {
		t.Errorf("policy frobnicate: exit %d, want 2 and one line naming the policy commands: %q", code, errOut)
	}
	// The commands of 'retention override' explain their own flags.
	code, _, errOut = run(t, nil, "retention", "override", "set", "-h")
	if code != 0 || !strings.Contains(errOut, "Usage: steward retention override set") || !strings.Contains(errOut, "-organisation") {
		t.Errorf("retention override set -h: exit %d\n%s", code, errOut)
	}
	// The top-level help points at group help.
	if _, out, _ := run(t, nil, "help"); !strings.Contains(out, "steward policy -h") || !strings.Contains(out, "retention override remove") {
		t.Errorf("help does not mention group help or list nested commands:\n%s", out)
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	code, _, errOut := run(t, nil, "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestBadFlagIsUsageError(t *testing.T) {
	code, _, _ := run(t, nil, "migrate", "--no-such-flag")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "steward ") {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

func TestPolicyCheckAcceptsTheRealPolicies(t *testing.T) {
	code, out, errOut := run(t, nil, "policy", "check", testkit.PolicyPath(t, "ivm"), testkit.PolicyPath(t, "zorginspirator"))
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if strings.Count(out, ": ok (") != 2 {
		t.Fatalf("want two ok lines:\n%s", out)
	}
}

func TestPolicyCheckListsEveryProblemWithPosition(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("format: 1\nsite:\n  id: x\n  colour: blue\npurposes:\n  - id: a\n    legal_basis: [whim]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, nil, "policy", "check", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(bad) + `:4:3: unknown key "site.colour"`).MatchString(errOut) {
		t.Errorf("unknown key not reported at 4:3:\n%s", errOut)
	}
	if lines := strings.Count(errOut, "\n"); lines < 2 {
		t.Errorf("want every problem listed, got %d line(s):\n%s", lines, errOut)
	}
}

// TestPolicyCheckReportsDecodeAndValidationProblems: an unknown key does
// not hide a reference to a purpose the file does not declare; both are
// listed, in file order, one file:line:col line each.
func TestPolicyCheckReportsDecodeAndValidationProblems(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "both.yaml")
	src := `format: 1
site: {id: s, name: S, urls: ["https://s.nl"], colour: blue}
version: {number: "1", date: 2024-01-01}
history: [{version: "1", date: 2024-01-01, summary: {nl: a, en: a}}]
controller: {name: C, address: {street: a, postcode: 1234 AB, city: c, country: NL}, contact: {email: c@s.nl}}
intro: {nl: a, en: a}
purposes: [{id: p, name: {nl: a, en: a}, description: {nl: a, en: a}, legal_basis: contract}]
records: [{id: account, name: {nl: a, en: a}, subject: account, erasure: delete, fields: [{id: email, name: {nl: a, en: a}, type: email, required: true, source: data_subject, purposes: [nosuch]}]}]
rights: {honoured: [access], response: P1M, deadline_from: receipt, how_to: {nl: a, en: a}, complaint: {authority: AP, url: "https://ap.nl", text: {nl: a, en: a}}}
changes: {nl: a, en: a}
`
	if err := os.WriteFile(bad, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, nil, "policy", "check", bad)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q, want 1 and nothing", code, out)
	}
	want := []string{
		bad + `:2:48: unknown key "site.colour"`,
		bad + `:8:91: record "account" field "email": unknown purpose "nosuch"`,
	}
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("want %d lines, got:\n%s", len(want), errOut)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i], w)
		}
	}
}

func TestPolicyCheckMissingFile(t *testing.T) {
	code, _, errOut := run(t, nil, "policy", "check", "/no/such/policy.yaml")
	if code != 1 || !strings.Contains(errOut, "/no/such/policy.yaml") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	env := withKeys(t, map[string]string{"STEWARD_DB": testkit.SQLiteDSN(t)})
	code, out, errOut := run(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "applied 0001_init") {
		t.Fatalf("first migrate: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "up to date") || strings.Contains(out, "applied") {
		t.Fatalf("second migrate: exit %d\n%s", code, out)
	}
}

func TestBadDatabaseIsOneLineExit1(t *testing.T) {
	// The one line says why, not only "failed to connect to ...:".
	for dsn, why := range map[string]string{
		"mysql://nope": "neither sqlite:PATH nor a postgres:// URL",
		"postgres://bob:s3cret@127.0.0.1:1/none?connect_timeout=2": "connection refused",
	} {
		code, _, errOut := run(t, map[string]string{"STEWARD_DB": dsn}, "migrate")
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", dsn, code)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") != 0 || errOut == "" {
			t.Errorf("%s: want exactly one line, got %q", dsn, errOut)
		}
		if !strings.Contains(errOut, why) || strings.Contains(errOut, "s3cret") {
			t.Errorf("%s: want the reason %q and no password, got %q", dsn, why, errOut)
		}
	}
}

func TestServeRefusesBrokenPolicyAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("format: 1\nnot: [valid"), 0o600)
	db := filepath.Join(dir, "steward.db")
	code, _, errOut := run(t, map[string]string{"STEWARD_DB": "sqlite:" + db, "STEWARD_POLICY": bad, "STEWARD_ADDR": "127.0.0.1:0"}, "serve")
	if code != 1 || !strings.Contains(errOut, bad+":") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("database file was created for a broken policy (stat err %v)", err)
	}
}

// TestServeEndToEnd starts the real server the way the README does, on a
// fresh SQLite file, for each policy, and shuts it down gracefully.
func TestServeEndToEnd(t *testing.T) {
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			srv := startServe(t, map[string]string{"STEWARD_DB": testkit.SQLiteDSN(t), "STEWARD_POLICY": testkit.PolicyPath(t, site),
				"STEWARD_ADDR": "127.0.0.1:0"})
			for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/privacy": 200, "/privacy?lang=en": 200, "/": 200, "/nope": 404} {
				resp, err := http.Get(srv.Base + path)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
				}
			}
			srv.Stop(t)
		})
	}
}

// served is a 'steward serve' a test started.
type served struct {
	// Base is the URL it serves on.
	Base string
	// Stderr is what it logged so far.
	Stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
	exit   *int
}

// startServe runs 'steward serve' with env until Stop or the end of the
// test. Key files testkit.ServeEnv names are added to env (in place, so a
// second start with the same env reuses the keys) unless env sets them; for
// a SQLite database they lie beside its file, so every start on that
// database uses the same keys, as a site's do (the data key is bound to
// the database: serve refuses another).
func startServe(t *testing.T, env map[string]string) *served {
	t.Helper()
	a, out, errOut := testApp(withKeys(t, env))
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{Stderr: errOut, cancel: cancel, done: make(chan int, 1)}
	go func() { s.done <- a.main(ctx, []string{"serve"}) }()
	s.Base = waitForURL(t, out, errOut, s.done)
	t.Cleanup(func() {
		if s.exit == nil {
			s.Stop(t)
		}
	})
	return s
}

// withKeys sets in env the key files not set already: beside a SQLite
// database given by an absolute STEWARD_DB path (so 'migrate' and 'serve'
// on one database find the same keys), else in t.TempDir(). It returns env.
func withKeys(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	keys := testkit.ServeEnv(t)
	if path, ok := strings.CutPrefix(env["STEWARD_DB"], "sqlite:"); ok && filepath.IsAbs(path) {
		for k, v := range keys {
			keys[k] = filepath.Join(filepath.Dir(path), filepath.Base(v))
		}
	}
	for k, v := range keys {
		if _, set := env[k]; !set {
			env[k] = v
		}
	}
	return env
}

// Stop shuts serve down and fails the test unless it exits 0 in time.
func (s *served) Stop(t *testing.T) {
	t.Helper()
	if s.exit != nil {
		return
	}
	s.cancel()
	select {
	case code := <-s.done:
		s.exit = &code
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, s.Stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

var servingRE = regexp.MustCompile(`on (https?://\S+)`)

func waitForURL(t *testing.T, out, errOut *syncBuffer, done chan int) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingRE.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before serving: %s", code, errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start: %s", errOut.String())
	return ""
}
