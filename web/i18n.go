package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"steward/policy"
)

//go:embed i18n/*.json
var catalogFS embed.FS

// catalog holds every fixed text of the site, one map per language, loaded
// from i18n/LANG.json. Templates never hold text of their own.
type catalog map[string]map[string]string

func loadCatalog() (catalog, error) {
	c := catalog{}
	for _, lang := range policy.Languages {
		data, err := catalogFS.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", lang, err)
		}
		c[lang] = m
	}
	// Every key must exist in every language, so no page shows a raw key.
	for _, lang := range policy.Languages {
		for key := range c[policy.Languages[0]] {
			if _, ok := c[lang][key]; !ok {
				return nil, fmt.Errorf("web: catalogue %s lacks %q", lang, key)
			}
		}
		for key := range c[lang] {
			if _, ok := c[policy.Languages[0]][key]; !ok {
				return nil, fmt.Errorf("web: catalogue %s has %q, which %s lacks", lang, key, policy.Languages[0])
			}
		}
	}
	return c, nil
}

// T returns the text for key in lang. A missing key shows as the key itself
// in brackets, which the catalogue test catches before it ships.
func (c catalog) T(lang, key string) string {
	if s, ok := c[lang][key]; ok {
		return s
	}
	return "[" + key + "]"
}

// errBadLang is returned for a lang parameter Steward does not speak.
var errBadLang = fmt.Errorf("unknown language: choose one of %v", policy.Languages)

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
