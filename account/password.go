package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"steward"
)

// HashParams are argon2id's cost parameters.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// DefaultParams are OWASP's recommended argon2id parameters: 19 MiB, two
// passes, one lane. Raising them upgrades old hashes at the next login.
var DefaultParams = HashParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Password length limits. The upper bound keeps a login from being a
// denial-of-service vector; argon2 hashes any length at the same cost.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 512
)

// CheckPassword refuses a new password that is too short or too long,
// only white space, one character repeated, or one of the passwords most
// used and found in breaches (ASVS 2.1.7, 2.1.9: no other composition
// rules, so long passphrases and pasted passwords are welcome).
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case strings.TrimSpace(pw) == "" && pw != "":
		return steward.FieldError("password", "error.must_not_be_only_spaces")
	case n < MinPasswordLen:
		return steward.FieldError("password", "error.must_be_at_least_characters", "min_password_len", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return steward.FieldError("password", "error.must_be_at_most_bytes", "max_password_len", MaxPasswordLen)
	case oneRepeatedRune(pw):
		return steward.FieldError("password", "error.must_not_be_one_character")
	case IsCommonPassword(pw):
		return steward.FieldError("password", "error.password_common")
	}
	return nil
}

func oneRepeatedRune(pw string) bool {
	first, _ := utf8.DecodeRuneInString(pw)
	return strings.Trim(pw, string(first)) == ""
}

// HashPassword hashes pw with argon2id and returns the PHC string
// $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH.
func HashPassword(pw string, p HashParams) string {
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword checks pw against a PHC string. needsRehash is true when
// the hash was made with other parameters than want, so the caller stores a
// fresh hash after a successful login.
func VerifyPassword(pw, phc string, want HashParams) (ok, needsRehash bool, err error) {
	p, salt, key, err := parsePHC(phc)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, p.Memory != want.Memory || p.Time != want.Time || p.Threads != want.Threads ||
		uint32(len(key)) != want.KeyLen || len(salt) != want.SaltLen, nil
}

// dummyHashes holds, per parameter set, a hash verified when there is no
// account, so an unknown e-mail takes as long as a known one (no
// enumeration by timing). Made on first use, not at start-up.
var dummyHashes sync.Map // HashParams → string

// BurnHashTime spends one password verification's time at parameters p
// without a result, for answers about addresses that have no account.
func BurnHashTime(pw string, p HashParams) {
	h, ok := dummyHashes.Load(p)
	if !ok {
		h, _ = dummyHashes.LoadOrStore(p, HashPassword("steward-dummy-password", p))
	}
	VerifyPassword(pw, h.(string), p)
}

func parsePHC(s string) (p HashParams, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("account: password hash is not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("account: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("account: bad argon2 parameters: %w", err)
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return p, nil, nil, fmt.Errorf("account: bad argon2 parameters")
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("account: bad salt: %w", err)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) == 0 {
		return p, nil, nil, fmt.Errorf("account: bad hash")
	}
	return p, salt, key, nil
}
