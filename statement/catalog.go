package statement

import (
	"fmt"
	"slices"

	"steward/message"
	"steward/policy"
)

// lookup returns the statement text for key in lang from the one message
// catalogue (package message), where the statement's texts live under
// "statement.": headings, labels, phrases, month names and plural forms,
// so templates hold no text of their own (G1).
func lookup(lang, key string) (string, bool) {
	c := message.Default()
	if !c.Has("statement." + key) {
		return "", false
	}
	return c.Text(lang, "statement."+key), true
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
