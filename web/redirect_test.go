package web

import (
	"net/url"
	"strings"
	"testing"
)

// browserResolve resolves a Location header the way a browser does (WHATWG
// URL parsing): tabs and newlines are dropped, leading and trailing C0
// controls and spaces trimmed, and a backslash read as a slash.
func browserResolve(t testing.TB, base *url.URL, location string) *url.URL {
	t.Helper()
	loc := strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, location)
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= 0x20 })
	u, err := url.Parse(loc)
	if err != nil {
		return nil
	}
	return base.ResolveReference(u)
}

var siteBase = &url.URL{Scheme: "https", Host: "steward.example", Path: "/login"}

// TestLocalPathRefusesOtherHosts holds the open-redirect finding of the
// ASVS review (issue 14, finding 5): "/\t/evil.example" was accepted and
// browsers resolve it to http://evil.example/.
func TestLocalPathRefusesOtherHosts(t *testing.T) {
	for _, target := range []string{
		"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\x00/evil.example",
		"/\\evil.example", "\\/evil.example", "//evil.example", "///evil.example",
		"https://evil.example/", "evil.example", "", " /account", "/\x7f/evil.example",
		"/%09/evil.example\t",
	} {
		if localPath(target) {
			t.Errorf("localPath(%q) = true, want false", target)
		}
		if got := safeNext(target); got != "" {
			t.Errorf("safeNext(%q) = %q, want \"\"", target, got)
		}
		if got := safeReturn(target, "en"); got != "/?lang=en" {
			t.Errorf("safeReturn(%q) = %q, want the home page", target, got)
		}
	}
	for _, target := range []string{"/account", "/account/data?lang=en", "/staff/requests/42", "/%09/evil.example", "/a//b"} {
		if !localPath(target) {
			t.Errorf("localPath(%q) = false, want true", target)
		}
		if u := browserResolve(t, siteBase, target); u == nil || u.Host != siteBase.Host {
			t.Errorf("%q resolves to %v, off the site", target, u)
		}
	}
}

// FuzzLocalPath: whatever localPath accepts, a browser resolves on this
// site, and it holds no control character or backslash.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/account", "/\t/evil.example", "/\\evil", "//x", "/a?b=c#d", "/%2F%2Fevil", "/.%2e/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		if !localPath(target) {
			return
		}
		if strings.ContainsAny(target, "\\\x00\t\n\r") {
			t.Fatalf("accepted %q with a control character or backslash", target)
		}
		if u := browserResolve(t, siteBase, target); u == nil || u.Host != siteBase.Host || u.Scheme != siteBase.Scheme {
			t.Fatalf("accepted %q, which a browser resolves to %v", target, u)
		}
	})
}
