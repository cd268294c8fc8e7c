package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/store"
)

func TestConsentHistoryKeysetAndNotices(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.SaveConsentNotice(ctx, store.ConsentNotice{Hash: "h1", Lang: "nl", Text: "Ja", FirstSeen: at}); err != nil {
				return err
			}
			// Saving the same wording again keeps the first.
			if err := tx.SaveConsentNotice(ctx, store.ConsentNotice{Hash: "h1", Lang: "en", Text: "Yes", FirstSeen: at}); err != nil {
				return err
			}
			for _, r := range []struct {
				subject string
				given   bool
			}{{"s1", true}, {"s2", true}, {"s3", true}, {"s2", false}, {"s4", false}, {"s4", true}} {
				if _, err := tx.AppendConsent(ctx, store.ConsentRecord{Subject: r.subject, Purpose: "newsletter", Given: r.given,
					Channel: "settings", NoticeHash: "h1", At: at, PolicyVersion: "1"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		after := ""
		for {
			page, err := s.ConsentSubjectsGiven(ctx, "newsletter", after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1]
		}
		if want := []string{"s1", "s3", "s4"}; !slices.Equal(got, want) {
			t.Errorf("consenting subjects = %v, want %v", got, want)
		}
		latest, err := s.ConsentLatestFor(ctx, "newsletter", []string{"s2", "s4", "s9"})
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) != 2 || latest["s2"].Given || !latest["s4"].Given {
			t.Errorf("latest = %+v", latest)
		}
		n, err := s.ConsentNotices(ctx, []string{"h1"})
		if err != nil || n["h1"].Text != "Ja" {
			t.Errorf("notice = %+v, %v", n, err)
		}
		if _, err := s.ConsentNotices(ctx, []string{"missing"}); err == nil {
			t.Error("a missing notice was not an error")
		}
	})
}
