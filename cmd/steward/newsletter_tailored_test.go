package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/audit"
	"steward/catalogue"
	catservice "steward/catalogue/service"
	"steward/clock"
	"steward/consent"
	"steward/internal/testkit"
	"steward/policy"
	"steward/store"
)

const tailoredOld = `{"id":"F-1","kind":"job","title":"Verzorgende IG in Assen","description":"Zorg voor bewoners.","sector":"ouderenzorg","level":"mbo3","region":"drenthe","hours":24},
{"id":"O-1","kind":"course","title":"Hbo-Verpleegkunde in Utrecht","description":"Deeltijd.","sector":"ziekenhuis","level":"hbo","region":"utrecht","hours":16}`

const tailoredNew = `,{"id":"F-9","kind":"job","title":"Helpende in Emmen","description":"Nieuw in de ouderenzorg.","sector":"ouderenzorg","level":"mbo2","region":"drenthe","hours":20},
{"id":"F-8","kind":"job","title":"Apothekersassistent in Venlo","description":"Nieuw in de apotheek.","sector":"apotheek","level":"mbo4","region":"limburg","hours":32}`

// TestNewsletterSendTailored (issue 18 item 6, Z4): on Zorginspirator,
// whose newsletter notice the policy declares tailored, 'newsletter send'
// gives each person whose consent was given with that notice the new
// functies matching what they saved and their work preferences — only
// new ones, only matching ones — and everyone else the general issue: a
// person without profile data, and one whose consent was given with other
// words. --dry-run composes everyone's issue and writes nothing; --preview
// prints one person's issue, sends nothing and leaves a
// newsletter.preview audit entry without address or text; a bad --since
// or an unknown address exits 1 with one line. A run again sends no one
// anything twice. Both stores.
func TestNewsletterSendTailored(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		ctx := context.Background()
		dir := t.TempDir()
		pol := testkit.PolicyPath(t, "zorginspirator")
		env := map[string]string{"STEWARD_DB": db, "STEWARD_POLICY": pol, "STEWARD_BASE_URL": "https://zorginspirator.example",
			"STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key"), "STEWARD_CONSENT_KEY_FILE": filepath.Join(dir, "consent.key")}
		s := openTestStore(t, env)
		p := testkit.Policy(t, "zorginspirator")
		t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		imp := func(at time.Time, data string) {
			t.Helper()
			items, err := catalogue.ParseFile("c.json", []byte("["+data+"]"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := (&catservice.Service{Store: s, Clock: clock.NewFixed(at)}).Import(ctx, items); err != nil {
				t.Fatal(err)
			}
		}
		imp(t0, tailoredOld)
		notice := consent.Notice(p.Purpose("newsletter"), "nl")
		const otherWords = "Ja, stuur mij de nieuwsbrief."
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, text := range []string{notice, otherWords} {
				if err := tx.SaveConsentNotice(ctx, store.ConsentNotice{Hash: consent.NoticeHash(text), Lang: "nl", Text: text, FirstSeen: t0}); err != nil {
					return err
				}
			}
			for i, id := range []string{"a_saver", "a_prefs", "a_plain", "a_otherwords", "a_none"} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, email, email_key, pseudonym, created_at) VALUES ($1, $2, $2, $3, $4)`,
					id, id+"@example.org", fmt.Sprintf("ps_%032x", i), t0.UnixMilli()); err != nil {
					return err
				}
				hash := consent.NoticeHash(notice)
				switch id {
				case "a_none":
					continue
				case "a_otherwords":
					hash = consent.NoticeHash(otherWords)
				}
				if _, err := tx.AppendConsent(ctx, store.ConsentRecord{Subject: id, Purpose: "newsletter", Given: true,
					Channel: string(policy.ChannelSettings), NoticeHash: hash, At: t0, PolicyVersion: p.Version.Number}); err != nil {
					return err
				}
			}
			// The saver saved F-1 (ouderenzorg, Drenthe); a_otherwords
			// too, but agreed to other words.
			for _, id := range []string{"a_saver", "a_otherwords", "a_none"} {
				if err := tx.InsertRecord(ctx, p, &store.Record{Subject: id, Kind: "saved_item", CreatedAt: t0,
					Values: map[string]string{"kind": "job", "item": "F-1", "saved_at": "2026-10-01"}}); err != nil {
					return err
				}
			}
			// a_prefs answered "in the pharmacy" (the work preferences'
			// words).
			return tx.PutProfile(ctx, p, "a_prefs", "profile", account.Values{"work_preferences": "In de apotheek"}, t0)
		})
		if err != nil {
			t.Fatal(err)
		}
		// Two functies are imported after the previous issue.
		imp(t0.Add(20*24*time.Hour), tailoredOld+tailoredNew)

		body := filepath.Join(dir, "issue.txt")
		if err := os.WriteFile(body, []byte("Nieuws van Zorginspirator."), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"newsletter", "send", "--subject", "Nieuws", "--body", body}
		mails := func() map[string]string {
			t.Helper()
			out := map[string]string{}
			rows, err := s.Read().QueryContext(ctx, `SELECT subject_id, text_body FROM outbox WHERE kind = 'newsletter'`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var subj, text string
				if err := rows.Scan(&subj, &text); err != nil {
					t.Fatal(err)
				}
				out[subj] = text
			}
			return out
		}

		// Bad input: one line, nothing sent or audited.
		head := testkit.AuditHead(t, s)
		for _, bad := range [][]string{{"--since", "gisteren"}, {"--preview", "nobody@example.org"}, {"--preview", "not an address"}} {
			code, _, stderr := run(t, env, append(append([]string{}, args...), bad...)...)
			if code != 1 || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%v: exit %d, stderr %q", bad, code, stderr)
			}
		}
		if len(mails()) != 0 || testkit.AuditHead(t, s) != head {
			t.Fatal("a refused command sent or audited something")
		}

		// A dry run composes everyone's issue and writes nothing.
		code, stdout, stderr := run(t, env, append(args, "--dry-run")...)
		if code != 0 || !strings.Contains(stdout, "4 issues composed (2 tailored") || len(mails()) != 0 || testkit.AuditHead(t, s) != head {
			t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
		}

		// The preview: the saver's issue, tailored, nothing sent.
		code, stdout, stderr = run(t, env, append(args, "--preview", "a_saver@example.org")...)
		if code != 0 || !strings.Contains(stdout, "tailored issue") || !strings.Contains(stdout, "Helpende in Emmen") ||
			!strings.Contains(stdout, "https://zorginspirator.example/functies/F-9") || strings.Contains(stdout, "Apothekersassistent") {
			t.Fatalf("preview: exit %d\n%s%s", code, stdout, stderr)
		}
		if len(mails()) != 0 {
			t.Fatal("the preview sent mail")
		}
		entries := testkit.AuditSince(t, s, head)
		if len(entries) != 1 || entries[0].Action != "newsletter.preview" || entries[0].Subject != audit.Pseudonym(fmt.Sprintf("ps_%032x", 0)) {
			t.Fatalf("preview audit: %+v", entries)
		}
		if e := fmt.Sprintf("%+v", entries[0]); strings.Contains(e, "@") || strings.Contains(e, "Emmen") {
			t.Errorf("the preview's audit entry holds a value: %s", e)
		}

		code, stdout, stderr = run(t, env, args...)
		if code != 0 || !strings.Contains(stdout, "4 enqueued (2 tailored)") {
			t.Fatalf("send: exit %d\n%s%s", code, stdout, stderr)
		}
		got := mails()
		if len(got) != 4 || got["a_none"] != "" {
			t.Fatalf("mailed %d: only the four whose consent stands", len(got))
		}
		for subj, want := range map[string]string{"a_saver": "Helpende in Emmen", "a_prefs": "Apothekersassistent in Venlo"} {
			text := got[subj]
			if !strings.Contains(text, "Nieuws van Zorginspirator.") || !strings.Contains(text, want) ||
				strings.Contains(text, "Verzorgende IG in Assen") || strings.Contains(text, "Hbo-Verpleegkunde") {
				t.Errorf("%s's issue (want %q, nothing old):\n%s", subj, want, text)
			}
		}
		if strings.Contains(got["a_saver"], "Apothekersassistent") || strings.Contains(got["a_prefs"], "Helpende") {
			t.Errorf("an issue lists a functie that does not match")
		}
		for _, subj := range []string{"a_plain", "a_otherwords"} {
			if text := got[subj]; !strings.Contains(text, "Nieuws van Zorginspirator.") || strings.Contains(text, "Nieuw op Zorginspirator") {
				t.Errorf("%s must get the general issue:\n%s", subj, text)
			}
		}
		code, stdout, _ = run(t, env, args...)
		if code != 0 || !strings.Contains(stdout, "0 enqueued") || len(mails()) != 4 {
			t.Fatalf("again: exit %d\n%s", code, stdout)
		}
	})
}
