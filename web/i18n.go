package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"steward"
	"steward/policy"
)

// errBadLang is returned for a lang parameter Steward does not speak.
var errBadLang = steward.Errorf(steward.EINVALID, "error.unknown_language", "languages", policy.Languages)

// errInternal answers a failure whose details belong in the log only.
var errInternal = errors.New("web: internal error")

// langOf returns the page language from the lang query parameter. Dutch is
// the default. No cookie remembers the choice: links carry it, so the
// language switch needs no consent and stores nothing.
func langOf(r *http.Request) (string, error) {
	lang := r.URL.Query().Get("lang")
	if lang == "" {
		return policy.Languages[0], nil
	}
	if !slices.Contains(policy.Languages, lang) {
		return policy.Languages[0], errBadLang
	}
	return lang, nil
}

// withLang returns u with its lang parameter set, keeping every other
// parameter, so the language switch keeps the page.
func withLang(u *url.URL, lang string) string {
	q := u.Query()
	if lang == policy.Languages[0] {
		q.Del("lang")
	} else {
		q.Set("lang", lang)
	}
	v := url.URL{Path: u.Path, RawQuery: q.Encode()}
	return v.String()
}
