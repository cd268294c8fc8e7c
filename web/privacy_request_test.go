package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/account"
	"steward/internal/testkit"
	"steward/rights"
	"steward/rights/desk"
	"steward/store"
)

// visibleText is the main content of a page as a reader sees it: its
// text, without tags or the URLs in their attributes (tagRE: the crawl's).
func visibleText(t *testing.T, body string) string {
	return tagRE.ReplaceAllString(mainOf(t, body), " ")
}

// TestPublicRequestForNewsletterSignUp (issue 13 item 5): a person with
// only a newsletter sign-up finds the request page by clicking (the
// footer of every page, the privacy statement), asks for access by their
// e-mail address without logging in, and follows the link in the mail
// exactly as mailed: the verified request is in the staff queue with its
// deadline, about their sign-up, and its page names the sign-up in words,
// never by an id. An address the site holds nothing on gets the very same
// answer and no mail, and nothing is entered; a bad form is a 400 that
// changes nothing; the form is rate-limited per address. Staff enter a
// request for the sign-up by its address on /staff/requests as well.
func TestPublicRequestForNewsletterSignUp(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st, _ := newsletterSite(t, s)
		b := st.browser()
		form := url.Values{"consent": {"yes"}, "email": {"piet@example.org"}, "first_name": {"Piet"}, "last_name": {"Jansen"}}
		if resp, body := b.post("/newsletter", form); resp.StatusCode != http.StatusOK {
			t.Fatalf("newsletter sign-up: %d %s", resp.StatusCode, body)
		}
		link, _ := st.mailLink(1)
		if resp, body := b.follow(link, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("confirm: %d %s", resp.StatusCode, body)
		}

		// Reached by clicking: the footer of every page and the statement.
		for _, page := range []string{"/", "/privacy", "/newsletter?lang=en"} {
			if _, body := b.get(page); !strings.Contains(body, `href="/privacy/request`) {
				t.Errorf("%s does not link to the request page", page)
			}
		}
		_, page := b.get("/privacy/request")
		for _, want := range []string{`name="email"`, `<option value="access">Inzage (art. 15 AVG)</option>`, `<option value="newsletter">Nieuwsbrief</option>`} {
			if !strings.Contains(page, want) {
				t.Errorf("request page lacks %s", want)
			}
		}

		resp, known := b.submit("/privacy/request", "/privacy/request", url.Values{"email": {"Piet@example.org"}, "type": {"access"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request: %d\n%s", resp.StatusCode, known)
		}
		link, msg := st.mailLink(2)
		if msg.EnvelopeTo[0] != "piet@example.org" || !strings.Contains(msg.Text, "Piet") || !strings.Contains(link, "/requests/verify?token=") {
			t.Fatalf("verification mail to %v, link %s:\n%s", msg.EnvelopeTo, link, msg.Text)
		}
		d := testDesk(t, st, "ivm")
		if items, _ := d.Queue(ctx, desk.QueueOptions{}); len(items) != 1 || items[0].Status != rights.StatusReceived {
			t.Fatalf("before the link: %+v", items)
		}
		if resp, body := b.follow(link, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, "bevestigd") {
			t.Fatalf("following the mailed link: %d\n%s", resp.StatusCode, body)
		}
		items, err := d.Queue(ctx, desk.QueueOptions{})
		if err != nil || len(items) != 1 {
			t.Fatalf("queue: %d requests, %v", len(items), err)
		}
		it := items[0]
		signUp, err := s.NewsletterByEmail(ctx, "piet@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if it.Status != rights.StatusVerified || it.SubjectKind != rights.SubjectSignUp || it.SubjectID != signUp.ID ||
			it.Type != rights.TypeAccess || it.Channel != rights.ChannelSelfService || !it.Deadline.Equal(st.clock.Now().Truncate(24*time.Hour).AddDate(0, 1, 0)) {
			t.Fatalf("queued %+v, deadline %s", it.Request, it.Deadline)
		}

		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		_, body := officer.get("/staff/requests/" + it.ID)
		text := visibleText(t, body)
		for _, want := range []string{"nieuwsbriefaanmelding van Piet Jansen", "Inzage (art. 15 AVG)", "24 december 2026", "24 november 2026"} {
			if !strings.Contains(text, want) {
				t.Errorf("request page lacks %q", want)
			}
		}
		if !strings.Contains(text, "via een bevestigingslink per e-mail") {
			t.Error("the timeline does not say in words how identity was verified")
		}
		for _, raw := range []string{it.ID, signUp.ID, "req_", "ns_", "newsletter_signup", "self_service", "system:", "email_link"} {
			if strings.Contains(text, raw) {
				t.Errorf("request page shows %q", raw)
			}
		}

		// An unknown address: the same answer, no mail, nothing entered.
		resp, unknown := b.submit("/privacy/request", "/privacy/request", url.Values{"email": {"nobody@example.org"}, "type": {"access"}})
		if resp.StatusCode != http.StatusOK || mainOf(t, unknown) != mainOf(t, known) {
			t.Fatalf("unknown address: %d; the answer differs from a known one's", resp.StatusCode)
		}
		// A bad form: shown again with what is wrong, nothing entered.
		if resp, body := b.submit("/privacy/request", "/privacy/request", url.Values{"email": {"piet@example.org"}, "type": {"everything"}}); resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body, `role="alert"`) {
			t.Fatalf("bad type: %d\n%s", resp.StatusCode, body)
		}
		if _, err := st.mail.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(st.smtp.Messages()); n != 2 {
			t.Fatalf("%d mails after the unknown address and the bad form; want still 2", n)
		}
		if items, _ := d.Queue(ctx, desk.QueueOptions{All: true}); len(items) != 1 {
			t.Fatalf("%d requests after the unknown address and the bad form; want 1", len(items))
		}

		// Staff enter a request for the sign-up by its address; an address
		// the site holds nothing on is a 404 and enters nothing.
		today := st.clock.Now().Format("2006-01-02")
		if resp, body := officer.submit("/staff/requests", "/staff/requests", url.Values{"email": {"piet@example.org"}, "type": {"erasure"},
			"channel": {"email"}, "received": {today}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("staff add for a sign-up: %d\n%s", resp.StatusCode, body)
		}
		if resp, body := officer.submit("/staff/requests", "/staff/requests", url.Values{"email": {"nobody@example.org"}, "type": {"erasure"},
			"channel": {"email"}, "received": {today}}); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "geen gegevens") {
			t.Fatalf("staff add for an unknown address: %d\n%s", resp.StatusCode, body)
		}
		items, _ = d.Queue(ctx, desk.QueueOptions{All: true})
		added := items[0]
		if added.ID == it.ID && len(items) > 1 {
			added = items[1]
		}
		if len(items) != 2 || added.SubjectKind != rights.SubjectSignUp || added.SubjectID != signUp.ID || added.Type != rights.TypeErasure {
			t.Fatalf("after the staff form: %+v", items)
		}

		// Rate-limited per address, like the newsletter form.
		limited := false
		for range 4 {
			resp, _ := b.submit("/privacy/request", "/privacy/request", url.Values{"email": {"flood@example.org"}, "type": {"access"}})
			limited = limited || resp.StatusCode == http.StatusTooManyRequests
		}
		if !limited {
			t.Fatal("four requests for one address in a row were all taken")
		}
	})
}

// TestStaffRectifiesNewsletterSignUp (issue 13 item 5, Art. 16): from a
// sign-up's rectification request a privacy officer corrects its name on
// the same correction page accounts have — the sign-up form's fields, its
// address not among them — and only then completes the request.
func TestStaffRectifiesNewsletterSignUp(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st, _ := newsletterSite(t, s)
		b := st.browser()
		form := url.Values{"consent": {"yes"}, "email": {"piet@example.org"}, "first_name": {"Peit"}}
		if resp, body := b.post("/newsletter", form); resp.StatusCode != http.StatusOK {
			t.Fatalf("newsletter sign-up: %d %s", resp.StatusCode, body)
		}
		link, _ := st.mailLink(1)
		b.follow(link, nil)
		officer := staffBrowser(t, st, "officer@example.org", account.RolePrivacyOfficer)
		resp, _ := officer.submit("/staff/requests", "/staff/requests", url.Values{"email": {"piet@example.org"}, "type": {"rectification"},
			"channel": {"email"}, "received": {st.clock.Now().Format("2006-01-02")}, "details": {"my name is Piet"}})
		reqPage := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(reqPage, "/staff/requests/req_") {
			t.Fatalf("staff add: %d %q", resp.StatusCode, reqPage)
		}
		if resp, _ := officer.submit(reqPage, reqPage+"/verify-manual", url.Values{"note": {"replied from the sign-up's address"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("verify: %d", resp.StatusCode)
		}
		rectify := reqPage + "/rectify"
		if _, page := officer.get(reqPage); !strings.Contains(page, `href="`+rectify+`"`) {
			t.Fatal("the request page offers no correction")
		}
		_, page := officer.get(rectify)
		if !strings.Contains(page, `name="newsletter_subscription.first_name"`) || !strings.Contains(page, `value="Peit"`) ||
			strings.Contains(page, `name="newsletter_subscription.email"`) {
			t.Fatalf("correction form:\n%s", mainOf(t, page))
		}
		if resp, _ := officer.submit(rectify, rectify, url.Values{"newsletter_subscription.first_name": {"Peit"}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("an edit that changes nothing: %d, want 400", resp.StatusCode)
		}
		if resp, _ := officer.submit(rectify, rectify, url.Values{"newsletter_subscription.first_name": {"Piet"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("correction: %d", resp.StatusCode)
		}
		n, err := s.NewsletterByEmail(ctx, "piet@example.org")
		if err != nil || !strings.Contains(n.Fields, `"first_name":"Piet"`) {
			t.Fatalf("sign-up after the correction: %+v %v", n, err)
		}
		if resp, _ := officer.submit(reqPage, reqPage+"/complete", url.Values{"outcome": {"name corrected"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("complete: %d", resp.StatusCode)
		}
		if _, err := st.mail.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := st.smtp.WaitFor(t, 2)
		if m := msgs[1]; m.EnvelopeTo[0] != "piet@example.org" || !strings.Contains(m.Text, "Piet") {
			t.Fatalf("answer to %v:\n%s", m.EnvelopeTo, m.Text)
		}
	})
}
