package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"steward/internal/testkit"
)

// crawled is what a crawl found: each URL it requested (path and query)
// with its status, and the page that first led to it.
type crawled struct {
	status map[string]int
	from   map[string]string
	order  []string
}

var hrefRE = regexp.MustCompile(`<a\b[^>]*\bhref="([^"]*)"`)

// crawlLimit bounds one crawl; a site whose pages link to ever new URLs
// fails the test instead of running for ever.
const crawlLimit = 1500

// crawl opens "/" as b and then every page of the site a person can reach
// from it by clicking: links (<a href>) and forms sent with GET, with the
// values the page filled in. Redirects are followed; a download is
// requested but not read. It clicks no POST button: nothing it does
// changes what the person holds.
func crawl(t *testing.T, b *browser) *crawled {
	t.Helper()
	base := mustURL(b.base)
	c := &crawled{status: map[string]int{}, from: map[string]string{}}
	queue := []string{"/"}
	c.from["/"] = "(start)"
	add := func(from *url.URL, ref string) {
		u, err := from.Parse(html.UnescapeString(ref))
		if err != nil {
			t.Errorf("%s links to %q: %v", from.RequestURI(), ref, err)
			return
		}
		if u.Host != base.Host || u.Scheme != base.Scheme || strings.HasPrefix(u.Path, "/static/") {
			return
		}
		key := u.RequestURI()
		if _, seen := c.from[key]; seen {
			return
		}
		c.from[key] = from.RequestURI()
		queue = append(queue, key)
	}
	for len(queue) > 0 {
		if len(c.order) >= crawlLimit {
			t.Fatalf("the crawl passed %d pages; last: %v", crawlLimit, c.order[len(c.order)-5:])
		}
		key := queue[0]
		queue = queue[1:]
		resp, body := b.get(key)
		c.status[key] = resp.StatusCode
		c.order = append(c.order, key)
		here := base.ResolveReference(mustURL(key))
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			add(here, loc)
			continue
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			continue
		}
		for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
			add(here, m[1])
		}
		for _, f := range formRE.FindAllStringSubmatch(body, -1) {
			fa := attrs(f[1])
			if m := strings.ToLower(fa["method"]); m != "" && m != "get" {
				continue
			}
			q := url.Values{}
			for _, in := range inputRE.FindAllStringSubmatch(f[2], -1) {
				ia := attrs(in[1])
				if ia["name"] != "" && ia["type"] != "submit" && ia["type"] != "checkbox" && ia["type"] != "radio" {
					q.Set(ia["name"], ia["value"])
				}
			}
			action := fa["action"]
			if action == "" {
				action = key
			}
			u, err := here.Parse(html.UnescapeString(action))
			if err != nil {
				t.Errorf("%s: form action %q: %v", key, action, err)
				continue
			}
			u.RawQuery = q.Encode()
			// add reads an href as written in HTML; a built URL is escaped
			// for it, or "&region=" would read as "®ion=".
			add(here, html.EscapeString(u.String()))
		}
	}
	return c
}

// paths are the distinct paths the crawl reached with 200, ids shown as
// {id}, in the order first reached.
func (c *crawled) paths(ids ...string) []string {
	var out []string
	for _, key := range c.order {
		if c.status[key] != http.StatusOK {
			continue
		}
		p := mustURL(key).Path
		for _, id := range ids {
			p = strings.ReplaceAll(p, id, "{id}")
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// reached reports whether the crawl opened path (in lang, "" for Dutch)
// with 200.
func (c *crawled) reached(path, lang string) bool {
	for key, st := range c.status {
		u := mustURL(key)
		if st == http.StatusOK && u.Path == path && u.Query().Get("lang") == lang {
			return true
		}
	}
	return false
}

// TestCrawlReachesEveryPage clicks through each site from "/" as a
// first-time visitor, a returning visitor, a logged-in person and each
// staff role (issue 13, item 2): every page that person may use is
// reached in both languages by following links and GET forms only, and
// no link leads to an error (4xx or 5xx), so neither a missing page nor a
// page the role may not open is ever offered.
func TestCrawlReachesEveryPage(t *testing.T) {
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			sc := newScene(t, testkit.SQLite(t), site)
			public := []string{"/", "/privacy", "/cookies", "/privacy/request"}
			visitor := append(slices.Clone(public), "/login", "/signup", "/reset")
			person := append(slices.Clone(public), "/account", "/account/security", "/account/data", "/account/consents", "/account/data/erase", "/account/data/requests/"+sc.request)
			staffCourses := []string{}
			managerPages := []string{"/staff/organisations", "/staff/organisations/" + sc.org}
			if site == "ivm" {
				// The newsletter and the courses, where the policy has them (IVM).
				visitor = append(visitor, "/newsletter", "/courses", "/courses/medicatiebewaking", "/courses/polyfarmacie")
				person = append(person, "/newsletter", "/courses", "/courses/medicatiebewaking", "/courses/polyfarmacie", "/vouchers/redeem")
				staffCourses = []string{"/staff/courses"}
				// The shop (issue 17): publications and the person's orders.
				visitor = append(visitor, "/publications", "/publications/handboek")
				person = append(person, "/publications", "/publications/handboek", "/publications/folder", "/account/orders")
				// Vouchers (issue 17): batches and the report.
				vouchers := []string{"/staff/vouchers", "/staff/organisations/" + sc.org + "/vouchers", "/staff/organisations/" + sc.org + "/voucher-report"}
				managerPages = append(managerPages, vouchers...)
				staffCourses = append(staffCourses, vouchers...)
			}
			officer := append(slices.Clone(public), "/staff/", "/staff/requests", "/staff/retention", "/staff/audit", "/staff/requests/"+sc.request,
				"/staff/organisations", "/staff/organisations/"+sc.org)
			officer = append(officer, staffCourses...)
			want := map[string][]string{
				"visitor":              visitor,
				"returning visitor":    visitor,
				"person":               person,
				"support":              append(append(slices.Clone(public), "/staff/"), staffCourses[:min(1, len(staffCourses))]...),
				"privacy_officer":      officer,
				"admin":                officer,
				"organisation_manager": append(slices.Clone(public), managerPages...),
			}
			for _, who := range sc.order {
				c := crawl(t, sc.users[who])
				for _, key := range c.order {
					if st := c.status[key]; st >= 400 {
						t.Errorf("%s: %s answers %d (linked from %s)", who, key, st, c.from[key])
					}
				}
				for _, p := range want[who] {
					for _, lang := range []string{"", "en"} {
						if !c.reached(p, lang) {
							t.Errorf("%s cannot reach %s (lang=%q) by clicking", who, p, lang)
						}
					}
				}
				// The list docs/screenshots/README.md gives (go test -v).
				t.Logf("%s as %s: %d requests; pages: %s", site, who, len(c.order), strings.Join(c.paths(sc.request, sc.personID), " "))
			}
		})
	}
}

// rawCodeRE finds what a page must not show a person (issue 13, item
// 10): ISO dates and timestamps, ISO periods (P1Y), true/false, a code
// written with underscores (first_party, privacy_officer), "restriction: *".
var rawCodeRE = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b|\bP\d+[YMWD]\b|\b(?:true|false)\b|\b[a-z]+_[a-z][a-z_]*\b|: \*`)

// rawCodeWords are codes that would be a whole text on their own: a
// cookie's lifetime, a mail's state, a processor's id, a mail's kind.
var rawCodeWords = map[string]bool{"session": true, "pending": true, "verify": true, "verified": true, "google": true, "facebook": true, "letter": true, "access": true}

var (
	hiddenRE = regexp.MustCompile(`(?s)<(script|style|code|head)\b.*?</(script|style|code|head)>`)
	tagRE    = regexp.MustCompile(`<[^>]*>`)
)

// rawCodes returns the raw codes in the text a person reads on page.
func rawCodes(page string) []string {
	text := hiddenRE.ReplaceAllString(page, " ")
	var out []string
	for _, node := range tagRE.Split(text, -1) {
		node = strings.TrimSpace(html.UnescapeString(node))
		if node == "" {
			continue
		}
		out = append(out, rawCodeRE.FindAllString(node, -1)...)
		if rawCodeWords[strings.Trim(node, " ():;,.")] {
			out = append(out, node)
		}
	}
	return out
}

// TestPagesShowNoRawCodes reads every page each kind of user reaches on
// both sites in both languages (the crawl) and finds no raw code: dates,
// periods, states, roles and cookie providers are in words (issue 13,
// item 10). The audit log is the one page that shows the log's own
// vocabulary (actions, pseudonyms, UTC times), by design (G2); code
// (<code>: a cookie's or a rule's name) is a name, not a code to explain.
// The retention plan's reasons are in words too, as the engine's typed
// reasons written from the catalogue.
func TestPagesShowNoRawCodes(t *testing.T) {
	for _, site := range []string{"ivm", "zorginspirator"} {
		t.Run(site, func(t *testing.T) {
			s := testkit.SQLite(t)
			sc := newScene(t, s, site)
			// A staff view of the person's record, so My data lists one.
			sc.users["privacy_officer"].get("/staff/people/" + sc.personID)
			// A course's slug is a code too: pages name a course by its
			// title (the person's enrolment on My data).
			courses, err := s.Courses(context.Background(), false)
			if err != nil {
				t.Fatal(err)
			}
			slugs := map[string]bool{}
			for _, c := range courses {
				slugs[c.Slug] = true
			}
			for _, who := range sc.order {
				b := sc.users[who]
				c := crawl(t, b)
				pages := 0
				for _, key := range c.order {
					if c.status[key] != http.StatusOK || mustURL(key).Path == "/staff/audit" {
						continue
					}
					resp, body := b.get(key)
					if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
						continue
					}
					pages++
					if codes := rawCodes(body); len(codes) > 0 {
						t.Errorf("%s sees raw codes on %s: %q", who, key, codes)
					}
					for _, w := range strings.Fields(tagRE.ReplaceAllString(hiddenRE.ReplaceAllString(body, " "), " ")) {
						if slugs[strings.Trim(w, " ():;,.")] {
							t.Errorf("%s sees the course slug %q on %s", who, w, key)
						}
					}
				}
				if pages < 4 {
					t.Errorf("%s: only %d pages read", who, pages)
				}
			}
		})
	}
}
