package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
	"steward/web"
)

// TestMyDataOffersTheHonouredRights: My data offers exactly the rights the
// policy honours (R13, Z8). IVM honours restriction (Art. 18) but not
// objection, so its request form lists restriction and not objection and
// the form to pause processing is there; a site that does not honour
// restriction shows neither, and a POST anyway is a 400 that stores
// nothing (G3).
func TestMyDataOffersTheHonouredRights(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		t.Run("ivm_offers_restriction", func(t *testing.T) {
			st := newSite(t, s, "ivm")
			b := st.browser()
			st.signUpAndConfirm(b, "anna@example.org")
			if resp := b.login("anna@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %d", resp.StatusCode)
			}
			_, body := b.get("/account/data")
			for _, want := range []string{`<option value="restriction">`, `action="/account/data/restrict`} {
				if !strings.Contains(body, want) {
					t.Errorf("my data lacks %s", want)
				}
			}
			if strings.Contains(body, `<option value="objection">`) || strings.Contains(body, `action="/account/data/object`) {
				t.Error("my data offers objection, which IVM does not honour")
			}
		})
		t.Run("restriction_not_honoured_is_refused", func(t *testing.T) {
			st := newSite(t, s, "ivm", func(c *web.Config) {
				c.Policy.Rights.Honoured = slices.DeleteFunc(slices.Clone(c.Policy.Rights.Honoured),
					func(r policy.Right) bool { return r == policy.RightRestriction })
			})
			b := st.browser()
			st.signUpAndConfirm(b, "bert@example.org")
			if resp := b.login("bert@example.org", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %d", resp.StatusCode)
			}
			_, body := b.get("/account/data")
			if strings.Contains(body, `<option value="restriction">`) || strings.Contains(body, `action="/account/data/restrict`) {
				t.Fatal("my data offers restriction, which the policy does not honour")
			}
			resp, _ := b.submit("/account/data", "/account/data/restrict", map[string][]string{"reason": {"the order amount is wrong"}})
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("restrict: %d, want 400", resp.StatusCode)
			}
			if _, body := b.get("/account/data"); strings.Contains(body, `id="restricted"`) {
				t.Fatal("a refused restriction was stored")
			}
		})
	})
}
