package account

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"steward/policy"
)

// KeySize is the size of the data key: AES-256.
const KeySize = 32

// sealedPrefix marks a sealed value in the store, with the key format.
const sealedPrefix = "v1:"

// Sealer encrypts sensitive values at rest with AES-256-GCM (R3). There is
// no plaintext mode: without a key, sensitive fields cannot be stored.
type Sealer struct {
	aead cipher.AEAD
	// key is kept only to derive keys for other uses (Derive).
	key []byte
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("account: data key has %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("account: data key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("account: data key: %w", err)
	}
	return &Sealer{aead: aead, key: append([]byte(nil), key...)}, nil
}

// ParseKey reads a data key written as 64 hex digits or as standard or URL
// base64 of 32 bytes (surrounding white space ignored).
func ParseKey(text string) ([]byte, error) {
	s := strings.TrimSpace(text)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, errors.New("account: data key must be 32 bytes written as 64 hex digits or base64")
}

// NewKey returns a fresh random data key in hex, as 'steward keygen' writes it.
func NewKey() string {
	b := make([]byte, KeySize)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Derive returns a 32-byte key for another use, HMAC-SHA256 of label
// under the data key: one key file serves several purposes (the OpenID
// Connect access tokens' encryption, issue 16) without the data key
// itself being used twice, and every process of the site derives the same.
func (s *Sealer) Derive(label string) [32]byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("steward/" + label))
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

// Seal encrypts plain. aad binds the ciphertext to where it is stored
// (account id and field), so a value copied to another row does not open.
func (s *Sealer) Seal(plain, aad string) string {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	out := s.aead.Seal(nonce, nonce, []byte(plain), []byte(aad))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a value written by Seal with the same aad.
func (s *Sealer) Open(sealed, aad string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", errors.New("account: value is not sealed")
	}
	b, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("account: sealed value is corrupt")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(aad))
	if err != nil {
		return "", errors.New("account: sealed value does not open with this key")
	}
	return string(plain), nil
}

// SealField seals the value of field of record kind record of account
// accountID. The additional data names that place, so a sealed value
// copied to another person, record or field does not open (R3).
func (s *Sealer) SealField(accountID, record, field, plain string) string {
	return s.Seal(plain, fieldAAD(accountID, record, field))
}

// OpenField opens a value sealed by SealField for the same place. Its
// signature is rights/desk's Opener, so the export and My data open
// sensitive fields with it.
func (s *Sealer) OpenField(accountID, record, field, sealed string) (string, error) {
	return s.Open(sealed, fieldAAD(accountID, record, field))
}

// fieldAAD is the additional data of a sealed field: where it is stored.
// Changing it makes every stored value unreadable.
func fieldAAD(accountID, record, field string) string { return accountID + "/" + record + "/" + field }

// IsSealed reports whether a stored value is sealed.
func IsSealed(v string) bool { return strings.HasPrefix(v, sealedPrefix) }

// SensitiveField returns the first sensitive field the policy declares, as
// "record.field", or "" when there is none. A site whose policy declares
// one must have a data key before it starts (R3: never a plaintext
// fallback).
func SensitiveField(p *policy.Policy) string {
	for _, rec := range p.Records {
		for _, f := range rec.Fields {
			if f.Sensitive {
				return rec.ID + "." + f.ID
			}
		}
	}
	return ""
}
