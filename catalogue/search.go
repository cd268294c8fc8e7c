package catalogue

import (
	_ "embed"
	"strings"
	"unicode"
)

// Search words (issue 18). One search method serves both databases:
// PostgreSQL indexes an item's words with its `dutch` text-search
// configuration (the Snowball Dutch stemmer and stop words); SQLite has no
// Dutch stemmer, so its FTS5 index holds the same words stemmed here by the
// same algorithm. Both start from the words Words makes — lower-case ASCII
// letters and digits, accents folded — so the two parsers see the same
// tokens, and TestStemMatchesPostgres checks Stem against PostgreSQL's
// dutch_stem for every word of the sample catalogue.

// dutchStop is the Snowball project's Dutch stop-word list, the one
// PostgreSQL's dutch configuration uses (tsearch_data/dutch.stop).
//
//go:embed dutch.stop
var dutchStop string

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(dutchStop) {
		m[w] = true
	}
	return m
}()

// fold maps the accented letters Dutch text uses to their plain letter.
var fold = map[rune]rune{
	'á': 'a', 'à': 'a', 'ä': 'a', 'â': 'a',
	'é': 'e', 'è': 'e', 'ë': 'e', 'ê': 'e',
	'í': 'i', 'ì': 'i', 'ï': 'i', 'î': 'i',
	'ó': 'o', 'ò': 'o', 'ö': 'o', 'ô': 'o',
	'ú': 'u', 'ù': 'u', 'ü': 'u', 'û': 'u',
	'ç': 'c', 'ñ': 'n',
}

// Words splits text into search words: lower case, accents folded, every
// character other than a-z and 0-9 a separator.
func Words(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range text {
		r = unicode.ToLower(r)
		if f, ok := fold[r]; ok {
			r = f
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			continue
		}
		flush()
	}
	flush()
	return out
}

// QueryWords are the words of a search that count: Words without the
// stop words, each once, at most 10.
func QueryWords(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range Words(text) {
		if stopWords[w] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
		if len(out) == 10 {
			break
		}
	}
	return out
}

// Stems stems each word that is not a stop word, as PostgreSQL's dutch
// configuration does.
func Stems(words []string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		if stopWords[w] {
			continue
		}
		out = append(out, Stem(w))
	}
	return out
}

// IsStopWord reports whether w is on the Dutch stop-word list.
func IsStopWord(w string) bool { return stopWords[w] }

// Stem is the Snowball Dutch stemmer (the original algorithm, which
// PostgreSQL's dutch_stem dictionary runs) for a word made by Words.
func Stem(word string) string {
	s := []rune(word)
	// Prelude: a y at the start or after a vowel, and an i between vowels,
	// are consonants (upper case while stemming).
	if len(s) > 0 && s[0] == 'y' {
		s[0] = 'Y'
	}
	for i := 0; i+1 < len(s); i++ {
		if !isVowel(s[i]) {
			continue
		}
		if s[i+1] == 'i' && i+2 < len(s) && isVowel(s[i+2]) {
			s[i+1] = 'I'
		} else if s[i+1] == 'y' {
			s[i+1] = 'Y'
		}
	}
	st := &stemmer{s: s}
	st.markRegions()
	st.standardSuffix()
	for i, r := range st.s {
		switch r {
		case 'I':
			st.s[i] = 'i'
		case 'Y':
			st.s[i] = 'y'
		}
	}
	return string(st.s)
}

func isVowel(r rune) bool {
	switch r {
	case 'a', 'e', 'i', 'o', 'u', 'y', 'è':
		return true
	}
	return false
}

type stemmer struct {
	s      []rune
	p1, p2 int
	eFound bool
}

func (st *stemmer) markRegions() {
	n := len(st.s)
	st.p1, st.p2 = n, n
	if n < 3 {
		return
	}
	i, ok := st.gopastVowelConsonant(0)
	if !ok {
		return
	}
	st.p1 = max(i, 3)
	if j, ok := st.gopastVowelConsonant(i); ok {
		st.p2 = j
	}
}

// gopastVowelConsonant returns the position after the first consonant
// that follows a vowel, from i.
func (st *stemmer) gopastVowelConsonant(i int) (int, bool) {
	n := len(st.s)
	for i < n && !isVowel(st.s[i]) {
		i++
	}
	if i == n {
		return 0, false
	}
	i++
	for i < n && isVowel(st.s[i]) {
		i++
	}
	if i == n {
		return 0, false
	}
	return i + 1, true
}

func (st *stemmer) ends(suffix string) bool { return strings.HasSuffix(string(st.s), suffix) }

// before is the letter before a suffix of length k, or 0 for none.
func (st *stemmer) before(k int) rune {
	if i := len(st.s) - k - 1; i >= 0 {
		return st.s[i]
	}
	return 0
}

func (st *stemmer) cut(k int) { st.s = st.s[:len(st.s)-k] }

func (st *stemmer) start(k int) int { return len(st.s) - k }

func (st *stemmer) undouble() {
	if st.ends("kk") || st.ends("dd") || st.ends("tt") {
		st.cut(1)
	}
}

func nonVowel(r rune) bool { return r != 0 && !isVowel(r) }

// enEnding removes the en or ene of length k when it is in R1 after a
// consonant and not after gem.
func (st *stemmer) enEnding(k int) bool {
	if st.start(k) < st.p1 || !nonVowel(st.before(k)) {
		return false
	}
	if strings.HasSuffix(string(st.s[:st.start(k)]), "gem") {
		return false
	}
	st.cut(k)
	st.undouble()
	return true
}

func (st *stemmer) eEnding() {
	st.eFound = false
	if !st.ends("e") || st.start(1) < st.p1 || !nonVowel(st.before(1)) {
		return
	}
	st.cut(1)
	st.eFound = true
	st.undouble()
}

func (st *stemmer) standardSuffix() {
	// Step 1: the longest of heden, ene, en, se, s.
	switch {
	case st.ends("heden"):
		if st.start(5) >= st.p1 {
			st.cut(5)
			st.s = append(st.s, []rune("heid")...)
		}
	case st.ends("ene"):
		st.enEnding(3)
	case st.ends("en"):
		st.enEnding(2)
	case st.ends("se"):
		if st.start(2) >= st.p1 && nonVowel(st.before(2)) && st.before(2) != 'j' {
			st.cut(2)
		}
	case st.ends("s"):
		if st.start(1) >= st.p1 && nonVowel(st.before(1)) && st.before(1) != 'j' {
			st.cut(1)
		}
	}
	// Step 2: a final e.
	st.eEnding()
	// Step 3a: heid.
	if st.ends("heid") && st.start(4) >= st.p2 && st.before(4) != 'c' {
		st.cut(4)
		if st.ends("en") {
			st.enEnding(2)
		}
	}
	// Step 3b: the longest of end, ing, ig, lijk, baar, bar.
	switch {
	case st.ends("end") || st.ends("ing"):
		if st.start(3) >= st.p2 {
			st.cut(3)
			if st.ends("ig") && st.start(2) >= st.p2 && st.before(2) != 'e' {
				st.cut(2)
			} else {
				st.undouble()
			}
		}
	case st.ends("ig"):
		if st.start(2) >= st.p2 && st.before(2) != 'e' {
			st.cut(2)
		}
	case st.ends("lijk"):
		if st.start(4) >= st.p2 {
			st.cut(4)
			st.eEnding()
		}
	case st.ends("baar"):
		if st.start(4) >= st.p2 {
			st.cut(4)
		}
	case st.ends("bar"):
		if st.start(3) >= st.p2 && st.eFound {
			st.cut(3)
		}
	}
	// Step 4: undouble a vowel before a final consonant (maan → man).
	n := len(st.s)
	if n >= 4 {
		last, v1, v2, c := st.s[n-1], st.s[n-2], st.s[n-3], st.s[n-4]
		if last != 'I' && !isVowel(last) && v1 == v2 && (v1 == 'a' || v1 == 'e' || v1 == 'o' || v1 == 'u') && !isVowel(c) {
			st.cut(2)
			st.s = append(st.s, last)
		}
	}
}
