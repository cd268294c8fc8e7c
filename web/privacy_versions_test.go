package web_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/policy"
	"steward/policy/publication"
	"steward/store"
)

// TestPrivacyVersions: once versions are published, /privacy names the
// version in force and links the history; /privacy/versions lists every
// version with its date in words and its summary; /privacy/versions/1
// renders the first version from its stored file, as it read then, and
// says it is not the version in force (G1, issue 20). Both stores.
func TestPrivacyVersions(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		srv, _ := newServer(t, s, "zorginspirator")
		if _, body := get(t, srv.URL+"/privacy/versions"); !strings.Contains(body, "Er is nog geen versie gepubliceerd.") {
			t.Errorf("before any version: %s", body)
		}
		data, err := os.ReadFile(testkit.PolicyPath(t, "zorginspirator"))
		if err != nil {
			t.Fatal(err)
		}
		old := strings.Replace(string(data), "warn_before: !unconfirmed P30D", "warn_before: !unconfirmed P45D", 1)
		publish := func(src string, at time.Time, nl, en string) {
			t.Helper()
			p, err := policy.Parse("zi.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			svc := &publication.Service{Store: s, Clock: clock.NewFixed(at)}
			if _, err := svc.Publish(ctx, p, []byte(src), audit.System("serve"), policy.Text{NL: nl, EN: en}); err != nil {
				t.Fatal(err)
			}
		}
		publish(old, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), "Eerste versie.", "First version.")
		publish(string(data), time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "Langere waarschuwingstermijn.", "Longer warning period.")

		_, body := get(t, srv.URL+"/privacy")
		if !strings.Contains(body, "Dit is versie 2 van deze privacyverklaring, gepubliceerd op 20 november 2026.") || !strings.Contains(body, `href="/privacy/versions"`) {
			t.Errorf("/privacy does not name version 2 and link the history")
		}
		_, body = get(t, srv.URL+"/privacy/versions?lang=en")
		for _, want := range []string{"Version 2", "20 November 2026", "Longer warning period.", "Version 1", "2 March 2026", "First version.", `href="/privacy/versions/1?lang=en"`} {
			if !strings.Contains(body, want) {
				t.Errorf("/privacy/versions?lang=en lacks %q", want)
			}
		}
		if strings.Index(body, "Version 2") > strings.Index(body, "Version 1") {
			t.Error("history is not newest first")
		}
		resp, body := get(t, srv.URL+"/privacy/versions/1")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "45 dagen (nog niet bevestigd)") || strings.Contains(body, "30 dagen (nog niet bevestigd)") {
			t.Errorf("/privacy/versions/1: %d; want the first version's 45 days, not the current 30", resp.StatusCode)
		}
		if !strings.Contains(body, "Je leest versie 1, gepubliceerd op 2 maart 2026. Dit is niet de versie die nu geldt.") {
			t.Error("/privacy/versions/1 does not say it is an earlier version")
		}
		if _, body = get(t, srv.URL+"/privacy/versions/2"); strings.Contains(body, "Dit is niet de versie die nu geldt") || !strings.Contains(body, "30 dagen (nog niet bevestigd)") {
			t.Error("/privacy/versions/2 is the version in force")
		}
		for _, path := range []string{"/privacy/versions/3", "/privacy/versions/0", "/privacy/versions/x"} {
			if resp, body := get(t, srv.URL+path); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Deze versie van de privacyverklaring bestaat niet.") {
				t.Errorf("%s: %d, want 404 with the message", path, resp.StatusCode)
			}
		}
		if resp, _ := get(t, srv.URL+"/privacy/versions?lang=xx"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown language: %d", resp.StatusCode)
		}
	})
}
