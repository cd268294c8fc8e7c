package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/store"
)

// stateRow is one (subject, purpose) state as text, for comparing the
// table with the history.
type stateRow string

// consentStateRows reads consent_state in a fixed order.
func consentStateRows(t *testing.T, s *store.Store) []stateRow {
	t.Helper()
	return queryStateRows(t, s, `SELECT subject, purpose, given, at, notice_hash, record_id FROM consent_state ORDER BY subject, purpose`)
}

// derivedStateRows derives the state from the history alone: the newest
// record per (subject, purpose).
func derivedStateRows(t *testing.T, s *store.Store) []stateRow {
	t.Helper()
	return queryStateRows(t, s, `SELECT c.subject, c.purpose, c.given, c.at, c.notice_hash, c.id FROM consent_records c
		WHERE c.id = (SELECT MAX(m.id) FROM consent_records m WHERE m.subject = c.subject AND m.purpose = c.purpose)
		ORDER BY c.subject, c.purpose`)
}

func queryStateRows(t *testing.T, s *store.Store, q string) []stateRow {
	t.Helper()
	rows, err := s.Read().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []stateRow
	for rows.Next() {
		var subject, purpose, hash string
		var given, at, id int64
		if err := rows.Scan(&subject, &purpose, &given, &at, &hash, &id); err != nil {
			t.Fatal(err)
		}
		out = append(out, stateRow(fmt.Sprintf("%s/%s given=%d at=%d notice=%s record=%d", subject, purpose, given, at, hash, id)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConsentStateMatchesHistory: after any mix of consent records,
// erasures and anonymisations, in one transaction or many, consent_state
// is exactly what the history derives (migration 0008; the history is
// the source of truth), and the store's readers of the state agree.
func TestConsentStateMatchesHistory(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(6, 8))
		t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		subjects := []string{"a1", "a2", "a3", "v_1", "ns_1", "ns_2"}
		purposes := []string{"newsletter", "research_panel", "facebook_pixel"}
		hashes := []string{"h1", "h2"}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, h := range hashes {
				if err := tx.SaveConsentNotice(ctx, store.ConsentNotice{Hash: h, Lang: "nl", Text: "tekst " + h, FirstSeen: t0}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		anon := 0
		for step := range 300 {
			// Several operations per transaction, some transactions rolled
			// back: the state must follow exactly what commits.
			rollback := rng.IntN(10) == 0
			err := s.InTx(ctx, func(tx *store.Tx) error {
				for range 1 + rng.IntN(4) {
					subject := subjects[rng.IntN(len(subjects))]
					switch op := rng.IntN(20); {
					case op == 0:
						if _, err := tx.EraseConsentsFor(ctx, subject, ""); err != nil {
							return err
						}
					case op == 1:
						anon++
						if _, err := tx.EraseConsentsFor(ctx, subject, fmt.Sprintf("anon_%d", anon)); err != nil {
							return err
						}
					default:
						_, err := tx.AppendConsent(ctx, store.ConsentRecord{Subject: subject, Purpose: purposes[rng.IntN(len(purposes))],
							Given: rng.IntN(3) > 0, Channel: "settings", NoticeHash: hashes[rng.IntN(len(hashes))],
							At: t0.Add(time.Duration(step) * time.Minute), PolicyVersion: "1"})
						if err != nil {
							return err
						}
					}
				}
				if rollback {
					return fmt.Errorf("roll back")
				}
				return nil
			})
			if err != nil && !rollback {
				t.Fatalf("step %d: %v", step, err)
			}
			if step%25 == 24 {
				if got, want := consentStateRows(t, s), derivedStateRows(t, s); !slices.Equal(got, want) {
					t.Fatalf("step %d: consent_state differs from the history\nstate:   %v\nhistory: %v", step, got, want)
				}
			}
		}
		got, want := consentStateRows(t, s), derivedStateRows(t, s)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Fatalf("consent_state differs from the history\nstate:   %v\nhistory: %v", got, want)
		}
		// The readers of the state answer what the history derives.
		for _, subject := range subjects {
			hist, err := s.ConsentLatest(ctx, subject)
			if err != nil {
				t.Fatal(err)
			}
			states, err := s.ConsentStates(ctx, subject)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != len(states) {
				t.Fatalf("%s: %d states, %d purposes in the history", subject, len(states), len(hist))
			}
			for i, h := range hist {
				st := states[i]
				if st.Purpose != h.Purpose || st.Given != h.Given || st.RecordID != h.ID || st.NoticeHash != h.NoticeHash || !st.At.Equal(h.At) {
					t.Errorf("%s: state %+v, history %+v", subject, st, h)
				}
			}
		}
		for _, p := range purposes {
			given, err := s.ConsentSubjectsGiven(ctx, p, "", 1000)
			if err != nil {
				t.Fatal(err)
			}
			hist, err := s.ConsentLatestFor(ctx, p, append(slices.Clone(subjects), anonIDs(anon)...))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for subj, r := range hist {
				if r.Given {
					want = append(want, subj)
				}
			}
			slices.Sort(want)
			if !slices.Equal(given, want) {
				t.Errorf("%s: subjects consenting %v, history says %v", p, given, want)
			}
		}
	})
}

func anonIDs(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("anon_%d", i))
	}
	return out
}

// TestConsentStateBackfill: migration 0008 fills consent_state from a
// history written before it existed, newest record per pair.
func TestConsentStateBackfill(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", testkit.SQLiteDSN}, {"postgres", testkit.PostgresDSN}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, tc.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			all, err := store.Migrations()
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(all, func(m store.Migration) bool { return m.Name == "consent_state" })
			if i < 0 {
				t.Fatal("no consent_state migration")
			}
			if _, err := store.MigrateWith(ctx, s, all[:i]); err != nil {
				t.Fatal(err)
			}
			// History as an older version wrote it: records only.
			err = s.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO consent_notices (hash, lang, text, first_seen) VALUES ('h1', 'nl', 'Ja', 0)`); err != nil {
					return err
				}
				for _, r := range []struct {
					subject, purpose string
					given            int
				}{{"a1", "newsletter", 1}, {"a1", "newsletter", 0}, {"a1", "research_panel", 1}, {"a2", "newsletter", 0}, {"a2", "newsletter", 1}} {
					if _, err := tx.ExecContext(ctx, `INSERT INTO consent_records (subject, purpose, given, channel, notice_hash, at, policy_version)
						VALUES ($1, $2, $3, 'settings', 'h1', 1000, '1')`, r.subject, r.purpose, r.given); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			got, want := consentStateRows(t, s), derivedStateRows(t, s)
			if len(got) != 3 || !slices.Equal(got, want) {
				t.Fatalf("backfilled state %v, history says %v", got, want)
			}
			if given, _ := s.ConsentSubjectsGiven(ctx, "newsletter", "", 10); !slices.Equal(given, []string{"a2"}) {
				t.Errorf("newsletter consent stands for %v, want [a2]", given)
			}
		})
	}
}
