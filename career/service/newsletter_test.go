package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward/catalogue"
	catservice "steward/catalogue/service"
	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/policy"
	"steward/store"
)

// TestTailoredIssueListsWhatIsNewSinceThePreviousIssue (issue 18 item 6):
// without --since an issue's tailored part lists what the catalogue added
// after the previous issue started — not what an earlier issue already
// listed — and a later run of the same issue (for new subscribers)
// counts from the same point, up to its own start. Both stores.
func TestTailoredIssueListsWhatIsNewSinceThePreviousIssue(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := clock.NewFixed(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
		p := testkit.Policy(t, "zorginspirator")
		file := `{"id":"F-1","kind":"job","title":"Verzorgende IG in Assen","description":"Zorg.","sector":"ouderenzorg","level":"mbo3","region":"drenthe","hours":24}`
		imp := func(more string) {
			t.Helper()
			file += more
			items, err := catalogue.ParseFile("c.json", []byte("["+file+"]"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := (&catservice.Service{Store: s, Clock: clk}).Import(ctx, items); err != nil {
				t.Fatal(err)
			}
		}
		imp("")
		svcs, err := wiring.New(wiring.Config{Policy: p, Store: s, Clock: clk, BaseURL: "https://zorginspirator.example"})
		if err != nil {
			t.Fatal(err)
		}
		nl := svcs.Newsletter("https://zorginspirator.example", []byte("0123456789abcdef0123456789abcdef"))
		person := func(id string) {
			t.Helper()
			err := s.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, email, email_key, pseudonym, created_at) VALUES ($1, $2, $2, $3, 0)`,
					id, id+"@example.org", "ps_"+strings.Repeat("0", 32-len(id))+id); err != nil {
					return err
				}
				return tx.PutProfile(ctx, p, id, "profile", map[string]string{"work_preferences": "In de ouderenzorg"}, clk.Now())
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := svcs.Consent.Give(ctx, id, consent.NewsletterPurpose, policy.ChannelSettings, "nl"); err != nil {
				t.Fatal(err)
			}
		}
		texts := func() map[string]string {
			t.Helper()
			out := map[string]string{}
			rows, err := s.Read().QueryContext(ctx, `SELECT subject_id, text_body FROM outbox WHERE kind = 'newsletter' ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var subj, text string
				if err := rows.Scan(&subj, &text); err != nil {
					t.Fatal(err)
				}
				out[subj] = text // the newest mail per person
			}
			return out
		}
		send := func(subject string) consent.SendReport {
			t.Helper()
			clk.Advance(time.Hour)
			rep, err := nl.Send(ctx, consent.Issue{Subject: subject, Body: "Nieuws.", Lang: "nl"}, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		person("a1")
		clk.Advance(time.Hour)
		imp(`,{"id":"F-2","kind":"job","title":"Helpende in Emmen","description":"Nieuw.","sector":"ouderenzorg","level":"mbo2","region":"drenthe","hours":20}`)
		if rep := send("Nummer 1"); rep.Tailored != 1 || !strings.Contains(texts()["a1"], "Helpende in Emmen") {
			t.Fatalf("issue 1: %+v\n%s", rep, texts()["a1"])
		}
		clk.Advance(24 * time.Hour)
		imp(`,{"id":"F-3","kind":"job","title":"Zorgcoördinator in Meppel","description":"Nieuw.","sector":"ouderenzorg","level":"mbo4","region":"drenthe","hours":32}`)
		send("Nummer 2")
		if text := texts()["a1"]; !strings.Contains(text, "Zorgcoördinator in Meppel") || strings.Contains(text, "Helpende in Emmen") {
			t.Fatalf("issue 2 must list only what is new since issue 1:\n%s", text)
		}
		// A new subscriber gets issue 2 in a later run, counted from issue 1.
		person("a2")
		clk.Advance(24 * time.Hour)
		imp(`,{"id":"F-4","kind":"job","title":"Wijkverpleegkundige in Hoogeveen","description":"Nieuw.","sector":"ouderenzorg","level":"hbo","region":"drenthe","hours":28}`)
		if rep := send("Nummer 2"); rep.Enqueued != 1 || rep.Already != 1 {
			t.Fatalf("issue 2 again: %+v", rep)
		}
		if text := texts()["a2"]; !strings.Contains(text, "Zorgcoördinator in Meppel") || !strings.Contains(text, "Wijkverpleegkundige in Hoogeveen") ||
			strings.Contains(text, "Helpende in Emmen") {
			t.Fatalf("the late subscriber's issue 2 must list what issue 2 lists:\n%s", text)
		}
	})
}
