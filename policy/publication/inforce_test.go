package publication_test

import (
	"context"
	"testing"
	"time"

	"steward/audit"
	"steward/clock"
	"steward/internal/testkit"
	"steward/policy"
	"steward/policy/publication"
	"steward/store"
)

// TestInForce: the one decision of the policy in force at a time (issue
// 20). With version 1 in force and version 2 — a longer period for
// learning-environment accounts — announced for ten days ahead, the file
// of version 2 yields version 1 (parsed from the database, with its
// period) and version 2's date before that day, and itself from then on;
// the file of version 1 and a file nobody published are taken as they
// are. Both stores.
func TestInForce(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		from := now.Add(10 * 24 * time.Hour)
		v1src, v1 := ivmWith(t)
		v2src, v2 := ivmWith(t, [2]string{"    since: last_login\n    period: P4Y\n", "    since: last_login\n    period: P5Y\n"})
		_, other := ivmWith(t, [2]string{"    since: last_login\n    period: P4Y\n", "    since: last_login\n    period: P6Y\n"})
		pub := &publication.Service{Store: s, Clock: clock.NewFixed(now.Add(-time.Hour))}
		if _, err := pub.Publish(ctx, v1, []byte(v1src), audit.System("serve"), policy.Text{NL: "Eerste.", EN: "First."}); err != nil {
			t.Fatal(err)
		}
		pub.Clock = clock.NewFixed(now)
		if _, err := pub.PublishFrom(ctx, v2, []byte(v2src), audit.System("serve"), policy.Text{NL: "Langer.", EN: "Longer."}, from); err != nil {
			t.Fatal(err)
		}
		period := func(p *policy.Policy) string {
			for _, r := range p.Retention {
				if r.ID == "lms_account_inactive" {
					return r.Period.String()
				}
			}
			t.Fatal("no lms_account_inactive rule")
			return ""
		}
		for _, c := range []struct {
			name       string
			file       *policy.Policy
			at         time.Time
			wantPeriod string
			wantFile   bool
			wantFrom   time.Time
		}{
			{"announced file before its date", v2, from.Add(-time.Second), "P4Y", false, from},
			{"announced file before version 1", v2, now.Add(-48 * time.Hour), "P4Y", false, from},
			{"announced file from its date", v2, from, "P5Y", true, time.Time{}},
			{"version 1's file", v1, from.Add(time.Hour), "P4Y", true, time.Time{}},
			{"an unpublished file", other, now, "P6Y", true, time.Time{}},
		} {
			p, gotFrom, err := publication.InForce(ctx, s.Reader, c.file, c.at)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := period(p); got != c.wantPeriod || (p == c.file) != c.wantFile || !gotFrom.Equal(c.wantFrom) {
				t.Errorf("%s: period %s, the file itself %v, from %v; want %s, %v, %v", c.name, got, p == c.file, gotFrom, c.wantPeriod, c.wantFile, c.wantFrom)
			}
		}
	})
}
