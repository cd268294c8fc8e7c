package account_test

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"steward/account"
)

// TestTOTPStep: codes are RFC 6238's (the SHA-1 test vector, six digits),
// accepted one step either side of now and no further, and recovery codes
// hash the same however they are typed (ASVS 2.8.1, 2.8.3).
func TestTOTPStep(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	at := time.Unix(59, 0)
	if c, err := account.TOTPCode(secret, at); err != nil || c != "287082" {
		t.Fatalf("RFC 6238 vector at 59 s: %q %v, want 287082", c, err)
	}
	later := time.Unix(1111111109, 0) // RFC 6238: 07081804, time step 37037036
	for _, tc := range []struct {
		now  time.Time
		ok   bool
		step int64
	}{
		{later, true, 37037036}, {later.Add(30 * time.Second), true, 37037036}, {later.Add(-30 * time.Second), true, 37037036},
		{later.Add(61 * time.Second), false, 0}, {later.Add(-60 * time.Second), false, 0},
	} {
		step, ok := account.TOTPStep(secret, "081804", tc.now)
		if ok != tc.ok || step != tc.step {
			t.Errorf("at %v: step %d ok %v, want %d %v", tc.now.Unix(), step, ok, tc.step, tc.ok)
		}
	}
	if _, ok := account.TOTPStep(secret, "287083", at); ok {
		t.Error("a wrong code was accepted")
	}
	codes, hashes := account.NewRecoveryCodes()
	if len(codes) != account.RecoveryCodeCount || len(hashes) != len(codes) {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		// 24 base32 letters: 120 random bits, past ASVS 2.6.2's 112.
		if plain := strings.ReplaceAll(c, "-", ""); len(plain)*5 < 112 || len(plain)*5 != account.RecoveryCodeBits || seen[plain] {
			t.Errorf("recovery code %d: %d bits or repeated", i, len(plain)*5)
		} else {
			seen[plain] = true
		}
		if account.LooksLikeTOTP(c) || account.HashRecoveryCode(" "+strings.ToUpper(strings.ReplaceAll(c, "-", ""))+" ") != hashes[i] {
			t.Errorf("recovery code %d does not hash the same typed another way", i)
		}
	}
	e, err := account.NewEnrolment("IVM", "anna@example.nl")
	if err != nil || len(e.QRPNG) == 0 || !strings.HasPrefix(e.URL, "otpauth://totp/") {
		t.Fatalf("enrolment: %v %q", err, e.URL)
	}
	again, err := account.EnrolmentOf("IVM", "anna@example.nl", e.Secret)
	if err != nil || again.Secret != e.Secret || again.URL != e.URL {
		t.Fatalf("the waiting secret shown again differs: %v", err)
	}
}
