package account

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// commonPasswords is the breach-corpus list described in
// passwords/README.md: lower-case, sorted, one per line.
//
//go:embed passwords/common.txt.gz
var commonPasswords []byte

// common is the list, decompressed on first use (not at start-up).
var common = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswords))
	if err != nil {
		panic("account: embedded password list: " + err.Error())
	}
	out := make([]string, 0, 47000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		panic("account: embedded password list: " + err.Error())
	}
	return out
})

// IsCommonPassword reports whether pw, ignoring case and surrounding
// spaces, is on the list of common and breached passwords.
func IsCommonPassword(pw string) bool {
	_, found := slices.BinarySearch(common(), strings.ToLower(strings.TrimSpace(pw)))
	return found
}
