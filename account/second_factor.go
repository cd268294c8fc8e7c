package account

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The TOTP parameters (RFC 6238; ASVS 2.8.1, 2.8.3): the defaults every
// authenticator app understands — HMAC-SHA1, six digits, 30-second steps —
// and one step of clock skew either way, so a code lives at most 90 s.
const (
	TOTPPeriod = 30 * time.Second
	totpSkew   = 1
)

// RecoveryCodeCount is how many recovery codes an enrolment gives.
const RecoveryCodeCount = 10

// Login challenge limits (ASVS 2.2.1): the half-done login between password
// and code lives ChallengeLifetime and allows ChallengeAttempts codes; then
// the password is asked again (and rate-limited again).
const (
	ChallengeLifetime = 5 * time.Minute
	ChallengeAttempts = 5
)

// NeedsSecondFactor reports whether the account may not act without a
// second factor: every staff role, since even support sees who has an
// account (ASVS 4.3.1; issue 14, finding 4). People may opt in.
func (a *Account) NeedsSecondFactor() bool { return a.IsStaff() }

// SecondFactor is an account's TOTP authenticator as stored: the secret
// sealed, the time of enrolment (zero while it waits for its first code)
// and the last time step accepted.
type SecondFactor struct {
	AccountID  string
	Secret     string // sealed with SealSecondFactor
	CreatedAt  time.Time
	EnrolledAt time.Time
	LastStep   int64
}

// Enrolled reports whether the authenticator was confirmed with a code.
func (f *SecondFactor) Enrolled() bool { return f != nil && !f.EnrolledAt.IsZero() }

// SealSecondFactor seals a TOTP secret for account id (ASVS 2.8.2: the
// key is encrypted at rest like a sensitive field, bound to its account).
func (s *Sealer) SealSecondFactor(accountID, secret string) string {
	return s.Seal(secret, secondFactorAAD(accountID))
}

// OpenSecondFactor opens a secret sealed by SealSecondFactor.
func (s *Sealer) OpenSecondFactor(accountID, sealed string) (string, error) {
	return s.Open(sealed, secondFactorAAD(accountID))
}

func secondFactorAAD(accountID string) string { return accountID + "/second_factor/totp" }

// Enrolment is a new TOTP secret as shown once on the enrolment page: the
// secret in base32 for typing in, the otpauth:// URL and its QR code as a
// PNG, both made by the library.
type Enrolment struct {
	Secret string
	URL    string
	QRPNG  []byte
}

// NewEnrolment makes a fresh 160-bit TOTP secret for accountName (the login
// address, shown only in the person's app) at issuer (the site).
func NewEnrolment(issuer, accountName string) (*Enrolment, error) {
	return enrolment(issuer, accountName, nil)
}

// EnrolmentOf shows a waiting secret (base32) again, when its first code
// was mistyped.
func EnrolmentOf(issuer, accountName, secret string) (*Enrolment, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("account: totp secret: %w", err)
	}
	return enrolment(issuer, accountName, raw)
}

func enrolment(issuer, accountName string, secret []byte) (*Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: accountName, Secret: secret,
		Period: uint(TOTPPeriod / time.Second), SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("account: new totp secret: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("account: totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("account: totp qr code: %w", err)
	}
	return &Enrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

// TOTPStep returns the time step at which code is secret's TOTP, within
// one step of now. The store accepts a step only if it is later than the
// last one accepted (store.Tx.AdvanceTOTPStep), so a code works once and
// an older one never after a newer one (ASVS 2.8.4). The comparison takes
// the same time whatever the code.
func TOTPStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / int64(TOTPPeriod/time.Second)
	var found int64
	ok := false
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		at := step + d
		want, err := TOTPCode(secret, time.Unix(at*int64(TOTPPeriod/time.Second), 0))
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !ok {
			found, ok = at, true
		}
	}
	return found, ok
}

// TOTPCode is secret's code at t, as an authenticator app shows it.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second),
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// LooksLikeTOTP reports whether a code typed in is six digits (a TOTP)
// rather than a recovery code.
func LooksLikeTOTP(code string) bool {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// recoveryAlphabet is base32 without padding, lower-case: no 0/1/8/9, so
// no code is mistaken for a TOTP and none has a look-alike digit.
var recoveryAlphabet = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// RecoveryCodeBits is the randomness of one recovery code: at least the
// 112 bits ASVS 2.6.2 asks of a look-up secret, so its fast hash resists an
// offline search of a copied database (ASVS 2.6.3).
const RecoveryCodeBits = 120

// NewRecoveryCodes returns RecoveryCodeCount fresh recovery codes as shown
// once ("abcdef-ghijkl-mnopqr-stuvwx", RecoveryCodeBits random bits each)
// and the hashes stored for them.
func NewRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		var b [RecoveryCodeBits / 8]byte
		rand.Read(b[:])
		s := recoveryAlphabet.EncodeToString(b[:])
		codes = append(codes, s[:6]+"-"+s[6:12]+"-"+s[12:18]+"-"+s[18:])
		hashes = append(hashes, HashRecoveryCode(s))
	}
	return codes, hashes
}

// HashRecoveryCode is the stored form of a recovery code as typed: case,
// spaces and dashes do not matter. The codes have RecoveryCodeBits random
// bits (and the code step is rate-limited), so a fast hash is enough.
func HashRecoveryCode(code string) string {
	norm := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, code)
	return HashSecret("recovery:" + norm)
}
