package voucher

import (
	"strings"
	"testing"
)

// TestCodesCatchTypos (issue 17 item 1): a code is 18 random symbols of
// Crockford's alphabet (90 bits) and a check symbol; every single wrong
// symbol and every swap of two different neighbours is caught before a
// lookup; look-alikes, lower case, spaces and dashes are read as meant.
func TestCodesCatchTypos(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := NewCode()
		n, err := Normalise(c)
		if err != nil || len(n) != DataLen+1 || seen[n] {
			t.Fatalf("code %q: %q %v", c, n, err)
		}
		seen[n] = true
		for i := range len(n) {
			for _, r := range Alphabet {
				if byte(r) == n[i] {
					continue
				}
				typo := n[:i] + string(r) + n[i+1:]
				if _, err := Normalise(typo); err == nil {
					t.Fatalf("%s with %c at %d passes", n, r, i)
				}
			}
			if i+1 < len(n) && n[i] != n[i+1] {
				swap := n[:i] + string(n[i+1]) + string(n[i]) + n[i+2:]
				if _, err := Normalise(swap); err == nil {
					t.Fatalf("%s with %d and %d swapped passes", n, i, i+1)
				}
			}
		}
		typed := strings.ToLower(strings.NewReplacer("0", "o", "1", "l", "-", " ").Replace(c))
		if got, err := Normalise(typed); err != nil || got != n {
			t.Fatalf("typed %q: %q %v, want %q", typed, got, err, n)
		}
	}
	for _, bad := range []string{"", "ABC", "ÄBCDEFGHJKMNPQRSTVW", strings.Repeat("U", DataLen+1)} {
		if _, err := Normalise(bad); err == nil {
			t.Fatalf("%q passes", bad)
		}
	}
}
