package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/store"
)

// TestPolicyPublications: versions are numbered 1, 2, ... per site; the
// newest, one by number (with its content) and the list (newest first,
// without content) read back what was stored; an unknown number is
// ErrNoPolicyPublication (G1, issue 20).
func TestPolicyPublications(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, ok, err := s.LatestPolicyPublication(ctx, "zi"); ok || err != nil {
			t.Fatalf("empty: %v %v", ok, err)
		}
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		for i, site := range []string{"zi", "zi", "ivm"} {
			v := store.PolicyPublication{SiteID: site, SHA256: "h" + string(rune('a'+i)), Content: "format: 1 # " + site,
				PublishedAt: at.AddDate(0, i, 0), PublishedBy: "system:serve", SummaryNL: "nl", SummaryEN: "en"}
			err := s.InTx(ctx, func(tx *store.Tx) error {
				n, err := tx.InsertPolicyPublication(ctx, v)
				if want := map[int]int{0: 1, 1: 2, 2: 1}[i]; n != want {
					t.Errorf("insert %d: n %d, want %d", i, n, want)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		latest, ok, err := s.LatestPolicyPublication(ctx, "zi")
		if err != nil || !ok || latest.N != 2 || latest.SHA256 != "hb" || latest.Content == "" || !latest.PublishedAt.Equal(at.AddDate(0, 1, 0)) {
			t.Errorf("latest: %+v %v %v", latest, ok, err)
		}
		one, err := s.PolicyPublication(ctx, "zi", 1)
		if err != nil || one.SHA256 != "ha" || one.Content != "format: 1 # zi" || one.SummaryEN != "en" || one.PublishedBy != "system:serve" {
			t.Errorf("version 1: %+v %v", one, err)
		}
		list, err := s.PolicyPublications(ctx, "zi")
		if err != nil || len(list) != 2 || list[0].N != 2 || list[1].N != 1 || list[0].Content != "" {
			t.Errorf("list: %+v %v", list, err)
		}
		if _, err := s.PolicyPublication(ctx, "zi", 3); !errors.Is(err, store.ErrNoPolicyPublication) {
			t.Errorf("unknown version: %v", err)
		}
	})
}

// TestCountHolders: every table a record kind lives in can be counted,
// on both stores; a person is counted once however many kinds they hold,
// and anonymised records count for no one (issue 20).
func TestCountHolders(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, q := range []string{
				`INSERT INTO records (subject_id, kind, created_at) VALUES ('p1', 'order', 1)`,
				`INSERT INTO records (subject_id, kind, created_at) VALUES ('p1', 'download', 1)`,
				`INSERT INTO records (subject_id, kind, created_at, anonymised_at) VALUES ('p2', 'order', 1, 2)`,
				`INSERT INTO records (subject_id, kind, created_at) VALUES ('p3', 'download', 1)`,
			} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			kinds []string
			want  int
		}{
			{[]string{"order"}, 1},
			{[]string{"order", "download"}, 2},
			{[]string{"account", "profile", "consent", "login_session", "mail", "retention_warning", "privacy_request", "disclosure", "staff_view", "newsletter_subscription"}, 0},
			{nil, 0},
		} {
			if n, err := s.CountHolders(ctx, tc.kinds); err != nil || n != tc.want {
				t.Errorf("%v: %d %v, want %d", tc.kinds, n, err, tc.want)
			}
		}
		if n, err := s.CountConsentsOn(ctx, "newsletter", []string{"h1", "h2"}); err != nil || n != 0 {
			t.Errorf("consents: %d %v", n, err)
		}
	})
}
