// Package message is Steward's one catalogue of fixed texts: every page
// text, mail, error message, CLI message and statement phrase, one file per
// language (nl.json, en.json), looked up by a stable key. Code never
// derives a key from wording, so rewording the English text cannot change
// what a Dutch reader sees.
//
// A text names its arguments in braces, "must be at most {n} characters",
// and Format fills them from name/value pairs: Format("en",
// "error.must_be_at_most_characters", "max", 50). Keys are always string
// literals in the code, so the catalogue test can find every one.
package message

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

// Languages are the languages of the catalogue; the first is the default
// (Dutch, G1). policy.Languages must list the same.
var Languages = []string{"nl", "en"}

//go:embed nl.json en.json
var files embed.FS

// Catalogue holds the texts of every language, by key.
type Catalogue struct {
	texts map[string]map[string]string
}

// Load reads LANG.json for every language from fsys and checks that every
// language has the same keys, so no reader meets a raw key.
func Load(fsys fs.FS) (*Catalogue, error) {
	c := &Catalogue{texts: map[string]map[string]string{}}
	for _, lang := range Languages {
		data, err := fs.ReadFile(fsys, lang+".json")
		if err != nil {
			return nil, fmt.Errorf("message: catalogue %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("message: catalogue %s: %w", lang, err)
		}
		c.texts[lang] = m
	}
	first := Languages[0]
	for _, lang := range Languages[1:] {
		if missing := missingKeys(c.texts[first], c.texts[lang]); len(missing) > 0 {
			return nil, fmt.Errorf("message: catalogue %s lacks %q", lang, missing)
		}
		if extra := missingKeys(c.texts[lang], c.texts[first]); len(extra) > 0 {
			return nil, fmt.Errorf("message: catalogue %s has %q, which %s lacks", lang, extra, first)
		}
	}
	return c, nil
}

// missingKeys returns the keys of want that have lacks, sorted.
func missingKeys(want, have map[string]string) []string {
	var out []string
	for k := range want {
		if _, ok := have[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Default returns the embedded catalogue. It is loaded once; a broken
// catalogue is a programming error the tests catch, so it panics.
var Default = sync.OnceValue(func() *Catalogue {
	c, err := Load(files)
	if err != nil {
		panic(err)
	}
	return c
})

// Keys returns every key of the catalogue, sorted.
func (c *Catalogue) Keys() []string {
	keys := make([]string, 0, len(c.texts[Languages[0]]))
	for k := range c.texts[Languages[0]] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether the catalogue has key.
func (c *Catalogue) Has(key string) bool {
	_, ok := c.texts[Languages[0]][key]
	return ok
}

// Text returns the text of key in lang, in the default language when lang
// is not one of Languages. A missing key shows as the key in brackets,
// which the catalogue test catches before it ships.
func (c *Catalogue) Text(lang, key string) string {
	m, ok := c.texts[lang]
	if !ok {
		m = c.texts[Languages[0]]
	}
	if s, ok := m[key]; ok {
		return s
	}
	return "[" + key + "]"
}

// Format returns the text of key in lang with its {name} arguments filled
// from args, name/value pairs. A value is written with fmt.Sprint, except
// a Key (its text in lang) and an error that carries a key (its message in
// lang), so a message nested in another is read in one language.
//
// A mail's {greeting} is "Hallo Anna," when args give the person's
// "first_name", and "Hallo," when they do not or it is empty (issue 13:
// mails greet the person by first name when it is known).
func (c *Catalogue) Format(lang, key string, args ...any) string {
	t := c.Text(lang, key)
	if strings.Contains(t, "{greeting}") {
		g := c.Text(lang, "mail.greeting")
		for i := 0; i+1 < len(args); i += 2 {
			if name, _ := args[i].(string); name == "first_name" {
				if first := strings.TrimSpace(fmt.Sprint(args[i+1])); first != "" {
					g = strings.ReplaceAll(c.Text(lang, "mail.greeting_name"), "{first_name}", first)
				}
			}
		}
		t = strings.ReplaceAll(t, "{greeting}", g)
	}
	if len(args) == 0 || !strings.Contains(t, "{") {
		return t
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		pairs = append(pairs, "{"+name+"}", c.value(lang, args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(t)
}

// value writes one argument in lang.
func (c *Catalogue) value(lang string, v any) string {
	switch v := v.(type) {
	case Key:
		return c.Text(lang, string(v))
	case error:
		var k Keyed
		if errors.As(v, &k) {
			return c.Error(lang, v)
		}
		return v.Error()
	default:
		return fmt.Sprint(v)
	}
}

// Key is an argument that is itself a catalogue key, written as its text
// in the message's language (a request type's name, for instance).
type Key string

// Keyed is an error whose message is a catalogue key with arguments;
// steward.Error is one.
type Keyed interface {
	error
	MessageKey() (key string, args []any)
}

// Error returns err's message in lang: the text of the first keyed error
// in its chain, or the text of "error.internal" for any other error, whose
// details belong in the log only.
func (c *Catalogue) Error(lang string, err error) string {
	var k Keyed
	if errors.As(err, &k) {
		key, args := k.MessageKey()
		return c.Format(lang, key, args...)
	}
	return c.Text(lang, "error.internal")
}

// Text returns the text of key in lang from the default catalogue.
func Text(lang, key string) string { return Default().Text(lang, key) }

// Format returns the text of key in lang, with its arguments filled, from
// the default catalogue.
func Format(lang, key string, args ...any) string { return Default().Format(lang, key, args...) }
