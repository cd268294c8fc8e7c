package policy_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"steward/policy"
)

// parseEdited parses the Zorginspirator policy with one text replaced.
func parseEdited(t *testing.T, old, new string) (*policy.Policy, error) {
	t.Helper()
	data, err := os.ReadFile("../policies/zorginspirator.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	if !strings.Contains(src, old) {
		t.Fatalf("zorginspirator.yaml has no %q", old)
	}
	return policy.Parse("zi.yaml", []byte(strings.Replace(src, old, new, 1)))
}

// TestUnconfirmedValuesAreListed: a value marked !unconfirmed decodes as
// if unmarked (the engine uses it) and is listed with its place, so the
// statement can say it is not confirmed and --strict can fail on it.
func TestUnconfirmedValuesAreListed(t *testing.T) {
	p := loadFile(t, "../policies/zorginspirator.yaml")
	var paths []string
	for _, u := range p.Unconfirmed {
		paths = append(paths, u.Path)
		if u.Pos.Line < 1 {
			t.Errorf("%s has no position", u.Path)
		}
	}
	for _, want := range []string{"version.date", "history[0].date", "controller.name", "controller.address", "retention[0].warn_before", "processors[1].kind", "processors[1].location"} {
		if !slices.Contains(paths, want) {
			t.Errorf("unconfirmed %v lacks %s", paths, want)
		}
	}
	if p.Version.Date.String() != "2024-01-01" || p.Controller.Name != "Zorginspirator" || p.Retention[0].WarnBefore != policy.MustDuration("P30D") || p.Processors[1].Kind != policy.RoleRecipient {
		t.Errorf("marked values decode differently: %v %q %v %q", p.Version.Date, p.Controller.Name, p.Retention[0].WarnBefore, p.Processors[1].Kind)
	}
	if got := policy.At("records", 1, "keep", "period"); got != "records[1].keep.period" {
		t.Errorf("At: %q", got)
	}
	if p.IsUnconfirmed(policy.At("processors", 0, "kind")) || !p.IsUnconfirmed(policy.At("processors", 0, "location")) {
		t.Error("IsUnconfirmed does not follow the marks")
	}
	ps := p.UnconfirmedProblems()
	if len(ps) != len(p.Unconfirmed) || !strings.Contains(ps[0].Error(), "zorginspirator.yaml:") || !strings.Contains(ps[0].Error(), "version.date") {
		t.Errorf("problems for --strict: %v", ps)
	}
}

// TestUnconfirmedOnlyWhereTheStatementCanSayIt: a mark on a value the
// statement would print as fact is refused; so is a missing address that
// is not marked.
func TestUnconfirmedOnlyWhereTheStatementCanSayIt(t *testing.T) {
	_, err := parseEdited(t, "  name: Zorginspirator\n", "  name: !unconfirmed Zorginspirator\n")
	if err == nil || !strings.Contains(err.Error(), "site.name: !unconfirmed is not allowed here") {
		t.Errorf("mark on site.name: %v", err)
	}
	_, err = parseEdited(t, "  address: !unconfirmed\n", "")
	if err == nil || !strings.Contains(err.Error(), "controller.address is missing") {
		t.Errorf("address neither given nor marked: %v", err)
	}
}

// TestStewardCookiesComeFromTheServer: a policy declares Steward's own
// cookies by name and words only; their category and lifetime are the
// server's, and a steward_ cookie the server does not set is refused.
func TestStewardCookiesComeFromTheServer(t *testing.T) {
	p := loadFile(t, "../policies/zorginspirator.yaml")
	for _, c := range p.Cookies {
		if c.Name == policy.ChoiceCookie && (c.Lifetime.Period != policy.ChoiceCookieLifetime || c.Category != policy.CookieFunctional || c.Consent) {
			t.Errorf("%s: %+v, want the server's definition", c.Name, c)
		}
	}
	_, err := parseEdited(t, "  - name: steward_consent\n", "  - name: steward_consent\n    lifetime: P2Y\n")
	if err == nil || !strings.Contains(err.Error(), "cookie steward_consent is set by Steward") {
		t.Errorf("own lifetime on steward_consent: %v", err)
	}
	_, err = parseEdited(t, "  - name: steward_consent\n", "  - name: steward_csrf\n    provider: first_party\n    category: necessary\n    lifetime: session\n    description: {nl: a, en: a}\n  - name: steward_consent\n")
	if err == nil || !strings.Contains(err.Error(), `cookie "steward_csrf": Steward sets no such cookie`) {
		t.Errorf("steward_csrf: %v", err)
	}
}
