package publication_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/policy/publication"
	"steward/store"
)

// TestTailoredNoticesOverVersions (issue 18 item 6): the wordings of the
// newsletter's notice that any published version declared tailored are
// all known, so consent given with a wording since edited only for a typo
// still asks for tailored news; a version that does not declare it adds
// nothing. Both stores.
func TestTailoredNoticesOverVersions(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := clock.NewFixed(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		pub := &publication.Service{Store: s, Clock: clk}
		data, err := os.ReadFile(testkit.PolicyPath(t, "zorginspirator"))
		if err != nil {
			t.Fatal(err)
		}
		version := func(src string) *policy.Policy {
			t.Helper()
			p, err := policy.Parse("zorginspirator.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pub.Publish(ctx, p, []byte(src), audit.System("serve"), policy.Text{NL: "Versie.", EN: "Version."}); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Hour)
			return p
		}
		v1 := version(string(data))
		typo := strings.Replace(string(data), "functie-updates en opleidingsaanbod op maat van mijn profiel.", "functie-updates en opleidingsaanbod op maat van mijn profiel!", 1)
		v2 := version(typo)
		version(strings.Replace(strings.Replace(typo, "      tailored: true\n", "", 1), "de nieuwsbrief van Zorginspirator ontvangen", "de algemene nieuwsbrief van Zorginspirator ontvangen", 1))
		got, err := pub.TailoredNotices(ctx, "zorginspirator", consent.NewsletterPurpose)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, p := range []*policy.Policy{v1, v2} {
			for _, lang := range policy.Languages {
				want[consent.NoticeHash(consent.Notice(p.Purpose("newsletter"), lang))] = true
			}
		}
		if len(want) != 3 || len(got) != len(want) {
			t.Fatalf("%d tailored wordings, want %d (v1 nl and en, v2's edited nl)", len(got), len(want))
		}
		for h := range want {
			if !got[h] {
				t.Errorf("wording %s is missing", h[:8])
			}
		}
	})
}
