// Package keyfile keeps Steward's ed25519 signing keys on disk: the audit
// log's (G2) and the consent receipts' (Art. 7(1) GDPR). Both are PEM
// PKCS #8 files, mode 0600, created on first use and never stored in the
// database they protect nor committed (.gitignore has *.key).
package keyfile

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"steward"
)

// ID names a public key: the first 16 hex digits of its SHA-256, so a
// signature can say which key made it without carrying the key.
func ID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Load reads the ed25519 private key at path. what names the key in
// messages ("audit signing key"). A missing file is an ENOTFOUND error,
// anything else that is not such a key EINVALID.
func Load(path, what string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.does_not_exist", "what", what, "path", path)
	}
	if err != nil {
		return nil, fmt.Errorf("keyfile: read %s %s: %w", what, path, err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, steward.Errorf(steward.EINVALID, "error.is_not_pem_private", "what", what, "path", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, steward.Errorf(steward.EINVALID, "error.key_file_problem", "what", what, "path", path, "err", err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, steward.Errorf(steward.EINVALID, "error.is_not_ed25519_key", "what", what, "path", path)
	}
	return ek, nil
}

// LoadOrCreate reads the key at path, generating it (mode 0600) when the
// file does not exist; created tells the caller to say where it was written.
func LoadOrCreate(path, what string) (key ed25519.PrivateKey, created bool, err error) {
	key, err = Load(path, what)
	if steward.ErrorCode(err) != steward.ENOTFOUND {
		return key, false, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("keyfile: generate %s: %w", what, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, false, fmt.Errorf("keyfile: encode %s: %w", what, err)
	}
	// Written to a temporary file and linked into place: two processes
	// starting at once never each keep a different key, and neither reads a
	// half-written file.
	f, err := os.CreateTemp(filepath.Dir(path), ".steward-key-*")
	if err != nil {
		return nil, false, fmt.Errorf("keyfile: create %s %s: %w", what, path, err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("keyfile: create %s %s: %w", what, path, err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("keyfile: write %s %s: %w", what, path, err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("keyfile: write %s %s: %w", what, path, err)
	}
	if err := os.Link(f.Name(), path); errors.Is(err, fs.ErrExist) {
		key, err = Load(path, what)
		return key, false, err
	} else if err != nil {
		return nil, false, fmt.Errorf("keyfile: create %s %s: %w", what, path, err)
	}
	return priv, true, nil
}
