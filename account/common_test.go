package account

import (
	"strings"
	"testing"

	"steward"
)

// TestCheckPasswordRefusesWeakPasswords: the four passwords of the ASVS
// review (issue 14, finding 3) were accepted; each is now refused with a
// reason, while long passphrases (pasted or typed, any characters) pass.
func TestCheckPasswordRefusesWeakPasswords(t *testing.T) {
	for pw, why := range map[string]string{
		"          ":       "only spaces",
		"1234567890":       "found in data breaches",
		"password12":       "found in data breaches",
		"PassWord12":       "found in data breaches",
		"aaaaaaaaaa":       "one character repeated",
		"ééééééééééééé":    "one character repeated",
		"qwertyuiop":       "found in data breaches",
		" wachtwoord123  ": "found in data breaches",
		"short":            "at least 10 characters",
	} {
		err := CheckPassword(pw)
		if err == nil || !strings.Contains(steward.ErrorMessage(err), why) {
			t.Errorf("CheckPassword(%q) = %v, want a refusal saying %q", pw, err, why)
		}
	}
	for _, pw := range []string{"correct horse battery", "zwanenzang veertien", "Tr0ub4dor&3-lang-genoeg", "ik 💊 apotheek zondagochtend", strings.Repeat("ab", 200)} {
		if err := CheckPassword(pw); err != nil {
			t.Errorf("CheckPassword(%q) = %v, want accepted", pw, err)
		}
	}
	if n := len(common()); n < 40000 {
		t.Errorf("the embedded list holds %d passwords, want the ~46,000 of 10+ characters", n)
	}
}

func BenchmarkIsCommonPassword(b *testing.B) {
	common()
	for b.Loop() {
		IsCommonPassword("oosterwolde zevenenveertig")
	}
}
