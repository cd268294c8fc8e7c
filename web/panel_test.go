package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"steward/consent"
	"steward/internal/testkit"
	"steward/internal/wiring"
	"steward/policy"
	"steward/store"
	"steward/web"
)

// TestPanelInvitationStopLink (issue 18 item 7, Z4): a panel invitation
// sent by the service 'panel invite' uses reaches the person over SMTP;
// the "stop inviting me" link, followed exactly as mailed, shows a page
// that says in words (nl, or en for an English invitation) what the
// button does, and its button withdraws the research-panel consent at
// once: the gate refuses, the next survey's invitation does not reach
// them, and the link used again changes nothing. A forged token is a 400
// and changes nothing. Both stores.
func TestPanelInvitationStopLink(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		key := consent.NewKey(priv)
		st := newSite(t, s, "zorginspirator", func(cfg *web.Config) { cfg.ConsentKey = key })
		svcs, err := wiring.New(wiring.Config{Policy: testkit.Policy(t, "zorginspirator"), Store: s, Clock: st.clock, BaseURL: st.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		nl := svcs.Newsletter(st.srv.URL, key.Derive("newsletter-unsubscribe"))
		for i, id := range []string{"acc_nl", "acc_en"} {
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, email, email_key, pseudonym, created_at) VALUES ($1, $2, $2, $3, 0)`,
					id, id+"@example.org", fmt.Sprintf("ps_%032x", i+1))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := svcs.Consent.Give(ctx, id, consent.PanelPurpose, policy.ChannelSignup, "nl"); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := nl.InvitePanel(ctx, consent.Invitation{Survey: "https://enquete.example/s1", Lang: "nl"}, 0, nil)
		if err != nil || rep.Enqueued != 2 {
			t.Fatalf("invite: %+v %v", rep, err)
		}
		b := st.browser()
		for n := 1; n <= 2; n++ {
			link, m := st.mailLink(n)
			to := strings.Join(m.EnvelopeTo, ",")
			if !strings.Contains(m.Text, "https://enquete.example/s1") || m.Header.Get("List-Unsubscribe") != "<"+link+">" {
				t.Fatalf("invitation %d to %s: %q %v\n%s", n, to, link, m.Header, m.Text)
			}
			if !strings.HasPrefix(to, "acc_nl@") {
				continue
			}
			want := "acc_nl"
			if resp, _ := b.post("/panel/unsubscribe", map[string][]string{"token": {want + ".forged"}}); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("forged token: %d", resp.StatusCode)
			}
			resp, page := b.get(link)
			if resp.StatusCode != 200 || !strings.Contains(page, "Niet meer uitnodigen voor het panel") {
				t.Fatalf("the stop link's page: %d\n%s", resp.StatusCode, page)
			}
			if ok, _, _ := svcs.Gate.Allowed(ctx, want, consent.PanelPurpose); !ok {
				t.Fatal("opening the link (GET) withdrew consent: a mail scanner would")
			}
			resp, page = b.follow(link, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "Je toestemming om je als panellid te benaderen is ingetrokken") {
				t.Fatalf("after the button: %d\n%s", resp.StatusCode, page)
			}
			if ok, why, _ := svcs.Gate.Allowed(ctx, want, consent.PanelPurpose); ok || why != consent.ReasonWithdrawn {
				t.Fatalf("the gate after the stop link: %v %s", ok, why)
			}
			if resp, _ := b.follow(link, nil); resp.StatusCode != 200 {
				t.Errorf("the link used again: %d", resp.StatusCode)
			}
		}
		rep, err = nl.InvitePanel(ctx, consent.Invitation{Survey: "https://enquete.example/s2", Lang: "en"}, 0, nil)
		if err != nil || rep.Enqueued != 1 {
			t.Fatalf("the next survey: %+v %v; want only acc_en", rep, err)
		}
		link, m := st.mailLink(3)
		if to := strings.Join(m.EnvelopeTo, ","); !strings.HasPrefix(to, "acc_en@") || !strings.Contains(m.Subject, "Invitation") {
			t.Fatalf("next invitation to %s: %q", to, m.Subject)
		}
		resp, page := b.follow(link, nil)
		if resp.StatusCode != 200 || !strings.Contains(page, "Your consent to be approached as a panel member has been withdrawn") {
			t.Fatalf("English stop page: %d\n%s", resp.StatusCode, page)
		}
	})
}
