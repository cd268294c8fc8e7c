package web_test

import (
	"strings"
	"testing"
	"time"

	"steward/clock"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
	"steward/web"
)

// TestPolicyInForceFollowsEffectiveDate: the server started with a policy
// file that is a version announced to take effect in ten days serves the
// version in force until then — its statement, with "version 2 takes
// effect on DATE" and a link to read it — and the announced version from
// that date on, without a restart (web.Switch, as serve builds it).
// /privacy/versions lists the announced version with its date, and
// /privacy/versions/2 renders it as announced (issue 20, Z11).
func TestPolicyInForceFollowsEffectiveDate(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) // newSite's clock
		from := now.Add(10 * 24 * time.Hour)
		publishAt(t, s, clock.NewFixed(now.Add(-10*24*time.Hour)), changed(t, "ivm"), "Eerste versie.", "First version.", time.Time{})
		v2src := changed(t, "ivm", [2]string{"    since: last_login\n    period: P4Y\n", "    since: last_login\n    period: P5Y\n"})
		publishAt(t, s, clock.NewFixed(now), v2src, "Langere bewaartermijn.", "Longer period.", from)
		v2, err := policy.Parse("policy.yaml", []byte(v2src))
		if err != nil {
			t.Fatal(err)
		}
		st := newSite(t, s, "ivm", func(c *web.Config) { c.Policy = v2 })
		b := st.browser()

		main := mainOf(t, pageOf(t, b, "/privacy"))
		for _, want := range []string{"Dit is versie 1 van deze privacyverklaring", "4 jaar",
			"Versie 2 geldt vanaf 4 december 2026; tot dan geldt deze versie.", `href="/privacy/versions/2"`} {
			if !strings.Contains(main, want) {
				t.Errorf("/privacy before the effective date lacks %q", want)
			}
		}
		if strings.Contains(main, "5 jaar") {
			t.Error("/privacy shows the announced period before it takes effect")
		}
		if main := mainOf(t, pageOf(t, b, "/privacy?lang=en")); !strings.Contains(main, "Version 2 takes effect on 4 December 2026; until then this version applies.") {
			t.Error("the English /privacy does not name the announced version and its date")
		}
		if main := mainOf(t, pageOf(t, b, "/privacy/versions")); !strings.Contains(main, "geldt vanaf 4 december 2026") {
			t.Error("/privacy/versions does not list version 2 as 'from DATE'")
		}
		if main := mainOf(t, pageOf(t, b, "/privacy/versions?lang=en")); !strings.Contains(main, "takes effect on 4 December 2026") {
			t.Error("the English /privacy/versions does not list version 2 as 'from DATE'")
		}
		main = mainOf(t, pageOf(t, b, "/privacy/versions/2"))
		if !strings.Contains(main, "Je leest versie 2, gepubliceerd op 24 november 2026. Ze geldt vanaf 4 december 2026") || !strings.Contains(main, "5 jaar") {
			t.Error("/privacy/versions/2 does not render the announced version as announced")
		}

		st.clock.Advance(10*24*time.Hour + time.Minute)
		main = mainOf(t, pageOf(t, b, "/privacy"))
		if !strings.Contains(main, "Dit is versie 2 van deze privacyverklaring") || !strings.Contains(main, "5 jaar") || strings.Contains(main, "4 jaar") || strings.Contains(main, "geldt vanaf") {
			t.Error("/privacy after the effective date does not show version 2 in force")
		}
		if main := mainOf(t, pageOf(t, b, "/privacy/versions")); strings.Contains(main, "geldt vanaf") {
			t.Error("/privacy/versions still lists version 2 as to come")
		}
	})
}
