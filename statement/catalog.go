package statement

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"

	"steward/policy"
)

// The message catalogues: every fixed word of the statement (headings,
// labels, phrases, month names, plural forms) in one file per language, so
// a translator edits one place and templates hold no text of their own.
//
//go:embed i18n/*.json
var catalogFS embed.FS

// messages is one language's catalogue.
type messages map[string]string

// catalogs holds the catalogue of every language in policy.Languages. It is
// loaded once; a broken catalogue is a programming error caught by the tests.
var catalogs = mustLoadCatalogs(catalogFS)

func mustLoadCatalogs(fsys fs.FS) map[string]messages {
	c, err := loadCatalogs(fsys)
	if err != nil {
		panic(err)
	}
	return c
}

// loadCatalogs reads i18n/LANG.json for every language and checks that all
// catalogues have the same keys, so no language shows a missing phrase (G1).
func loadCatalogs(fsys fs.FS) (map[string]messages, error) {
	c := make(map[string]messages, len(policy.Languages))
	for _, lang := range policy.Languages {
		data, err := fs.ReadFile(fsys, "i18n/"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("statement: catalogue %s: %w", lang, err)
		}
		m := messages{}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("statement: catalogue %s: %w", lang, err)
		}
		c[lang] = m
	}
	first := policy.Languages[0]
	for _, lang := range policy.Languages[1:] {
		if missing := missingKeys(c[first], c[lang]); len(missing) > 0 {
			return nil, fmt.Errorf("statement: catalogue %s lacks %q", lang, missing)
		}
		if extra := missingKeys(c[lang], c[first]); len(extra) > 0 {
			return nil, fmt.Errorf("statement: catalogue %s has %q, which %s lacks", lang, extra, first)
		}
	}
	return c, nil
}

// missingKeys returns the keys of want that have lacks, sorted.
func missingKeys(want, have messages) []string {
	var out []string
	for k := range want {
		if _, ok := have[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Language checks a requested statement language. The empty string means
// the default, Dutch (G1); anything not in policy.Languages is
// ErrUnknownLanguage.
func Language(lang string) (string, error) {
	if lang == "" {
		return policy.Languages[0], nil
	}
	if !slices.Contains(policy.Languages, lang) {
		return "", fmt.Errorf("%w %q: choose one of %v", ErrUnknownLanguage, lang, policy.Languages)
	}
	return lang, nil
}
