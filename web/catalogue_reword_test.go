package web_test

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"steward/internal/testkit"
	"steward/message"
	"steward/web"
)

// TestRewordingEnglishLeavesDutchPageUnchanged: a message is found by its
// key, never by its English wording, so a changed English text changes
// the English page and leaves the Dutch page as it was. The server runs on
// the real catalogue with one English text reworded; a sign-up with a bad
// e-mail address goes through the real handler and error rendering.
func TestRewordingEnglishLeavesDutchPageUnchanged(t *testing.T) {
	const key, reworded = "error.is_not_valid_email", "does not look like an e-mail address to us"
	files := fstest.MapFS{}
	for _, lang := range message.Languages {
		b, err := os.ReadFile("../message/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if lang == "en" {
			m := map[string]string{}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m[key] == "" {
				t.Fatalf("the catalogue has no %s", key)
			}
			m[key] = reworded
			if b, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		}
		files[lang+".json"] = &fstest.MapFile{Data: b}
	}
	cat, err := message.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	dutch := message.Text("nl", key)
	for _, tc := range []struct {
		name string
		cat  *message.Catalogue
	}{{"real_catalogue", nil}, {"english_reworded", cat}} {
		t.Run(tc.name, func(t *testing.T) {
			st := newSite(t, testkit.SQLite(t), "ivm", func(c *web.Config) { c.Messages = tc.cat })
			b := st.browser()
			form := ivmSignup("not-an-address")
			_, nl := b.submit("/signup", "/signup", form)
			if !strings.Contains(nl, dutch) || strings.Contains(nl, reworded) {
				t.Errorf("Dutch page does not show %q (or shows the English):\n%s", dutch, nl)
			}
			_, en := b.submit("/signup?lang=en", "/signup?"+url.Values{"lang": {"en"}}.Encode(), ivmSignup("not-an-address"))
			wantEN := message.Text("en", key)
			if tc.cat != nil {
				wantEN = reworded
			}
			if !strings.Contains(en, wantEN) {
				t.Errorf("English page does not show %q:\n%s", wantEN, en)
			}
		})
	}
}
