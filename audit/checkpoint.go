package audit

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/keyfile"
)

// DefaultCheckpointEvery is how many entries lie between two automatic
// checkpoints unless configured otherwise.
const DefaultCheckpointEvery = 1000

// Checkpoint is a signed statement that the log's entry number Size has hash
// Hash — and so, through the chain, what every entry up to Size holds. It is
// made every N entries and on demand; a copy kept outside the database (an
// auditor's) proves the log was not cut back or rewritten since.
type Checkpoint struct {
	Size      uint64
	Hash      Hash
	Time      time.Time
	KeyID     string
	Signature []byte
}

// Head is the log's sealed head: the last entry's number and hash, signed
// at every commit. An entry appended without the key (a forgery by someone
// with only database access) leaves the head unsigned or wrongly signed.
type Head struct {
	Seq       uint64
	Hash      Hash
	KeyID     string
	Signature []byte
}

// A signature states one of two things, each in its own message, so that
// one can never pass as the other: a head signature says "the log ends at
// entry Seq, whose hash is Hash"; a checkpoint signature says only "entry
// Size has hash Hash" — the log may go on. Were they one message, someone
// with write access to the database could copy checkpoint N's hash and
// signature into audit_head, delete every entry after N and the later
// checkpoints, and the log would verify: a validly signed head at N.
const (
	headLabel       = "steward audit head v1"
	checkpointLabel = "steward audit checkpoint v1"
)

// signedMessage is the one place the signed bytes are made: the label,
// then the entry number and its hash in lower-case hex, each on a line.
func signedMessage(label string, size uint64, h Hash) []byte {
	b := make([]byte, 0, len(checkpointLabel)+1+20+1+2*len(h)+1)
	b = append(b, label...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, size, 10)
	b = append(b, '\n')
	b = hex.AppendEncode(b, h[:])
	return append(b, '\n')
}

// verifySigned reports whether sig, made by the key keyID names, signs
// label's statement about entry size and hash h.
func verifySigned(pub ed25519.PublicKey, label, keyID string, size uint64, h Hash, sig []byte) bool {
	return pub != nil && keyID == KeyID(pub) && len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, signedMessage(label, size, h), sig)
}

// Verify reports whether the head is signed, as a head, by pub.
func (h Head) Verify(pub ed25519.PublicKey) bool {
	return verifySigned(pub, headLabel, h.KeyID, h.Seq, h.Hash, h.Signature)
}

// Verify reports whether the checkpoint is signed, as a checkpoint, by pub.
func (cp Checkpoint) Verify(pub ed25519.PublicKey) bool {
	return verifySigned(pub, checkpointLabel, cp.KeyID, cp.Size, cp.Hash, cp.Signature)
}

// Signer signs checkpoints and heads with an ed25519 key.
type Signer struct {
	key ed25519.PrivateKey
	id  string
}

// NewSigner returns a Signer for key.
func NewSigner(key ed25519.PrivateKey) *Signer {
	return &Signer{key: key, id: KeyID(key.Public().(ed25519.PublicKey))}
}

// KeyID names the key: the first 8 bytes of SHA-256 of the public key, hex.
func KeyID(pub ed25519.PublicKey) string { return keyfile.ID(pub) }

// KeyID returns the id of the signer's key.
func (s *Signer) KeyID() string { return s.id }

// Public returns the public key that verifies the signer's signatures.
func (s *Signer) Public() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Head returns the signed head "the log ends at entry seq, with hash h".
func (s *Signer) Head(seq uint64, h Hash) Head {
	return Head{Seq: seq, Hash: h, KeyID: s.id, Signature: ed25519.Sign(s.key, signedMessage(headLabel, seq, h))}
}

// Checkpoint returns a signed checkpoint for entry size with hash h.
func (s *Signer) Checkpoint(size uint64, h Hash, at time.Time) Checkpoint {
	return Checkpoint{Size: size, Hash: h, Time: time.UnixMilli(at.UnixMilli()).UTC(), KeyID: s.id,
		Signature: ed25519.Sign(s.key, signedMessage(checkpointLabel, size, h))}
}

// DefaultKeyFile is where the signing key lives unless configured otherwise.
// It must never be committed (.gitignore has *.key) nor stored in the
// database it protects.
const DefaultKeyFile = "./steward-audit.key"

// LoadKey reads an ed25519 signing key written by LoadOrCreateKey (PEM,
// PKCS #8). A missing file is an ENOTFOUND error.
func LoadKey(path string) (*Signer, error) {
	k, err := keyfile.Load(path, "audit signing key")
	if err != nil {
		return nil, err
	}
	return NewSigner(k), nil
}

// MarshalPublicKey encodes pub as a PEM "PUBLIC KEY" block (PKIX, as
// openssl writes it): what 'steward audit pubkey' prints, so an auditor can
// verify the log holding only the public key (G2).
func MarshalPublicKey(pub ed25519.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("audit: encode public key: " + err.Error()) // cannot happen for ed25519
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ParsePublicKey reads a public key written by MarshalPublicKey, or the 64
// hex digits the key's creation message shows.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, steward.Errorf(steward.EINVALID, "error.audit_key_wrong_pem_block", "type", block.Type)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.audit_public_key", "err", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, steward.Errorf(steward.EINVALID, "error.audit_key_not_ed25519")
		}
		return pub, nil
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, steward.Errorf(steward.EINVALID, "error.audit_key_bad_format", "n", 2*ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// LoadPublicKey reads a public key file (see ParsePublicKey). A missing
// file is an ENOTFOUND error.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.audit_key_file_missing", "path", path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read public key %s: %w", path, err)
	}
	pub, err := ParsePublicKey(data)
	if err != nil {
		return nil, steward.Errorf(steward.EINVALID, "error.file_problem", "path", path, "problem", err)
	}
	return pub, nil
}

// LoadOrCreateKey reads the signing key at path, generating it (mode 0600)
// if the file does not exist; created tells the caller to say so.
func LoadOrCreateKey(path string) (s *Signer, created bool, err error) {
	k, created, err := keyfile.LoadOrCreate(path, "audit signing key")
	if err != nil {
		return nil, false, err
	}
	return NewSigner(k), created, nil
}

// Line is the checkpoint as 'steward audit checkpoint' prints it for the
// operator to keep outside the database, without a newline:
//
//	checkpoint size=N hash=HEX key=KEYID signature=HEX
//
// ParseCheckpointLine reads it back ('steward audit verify --checkpoint').
func (cp Checkpoint) Line() string { return cp.line("checkpoint") }

// line writes a signed statement as word, then its parts.
func (cp Checkpoint) line(word string) string {
	return word + " size=" + strconv.FormatUint(cp.Size, 10) + " hash=" + cp.Hash.String() +
		" key=" + cp.KeyID + " signature=" + hex.EncodeToString(cp.Signature)
}

// ParseCheckpointLine reads a line written by Checkpoint.Line; white space
// around and between the parts is ignored, the parts and their order are
// not. A malformed line is an EINVALID error saying which part is wrong.
// The signature is not checked here: Verify checks it with the key.
func ParseCheckpointLine(line string) (Checkpoint, error) { return parseSigned("checkpoint", line) }

// parseSigned reads a line written by Checkpoint.line(word).
func parseSigned(word, line string) (Checkpoint, error) {
	var cp Checkpoint
	// bad wraps the problem with one part in the message that names the
	// line's expected shape.
	bad := func(key string, args ...any) (Checkpoint, error) {
		problem := steward.Errorf(steward.EINVALID, key, args...)
		if word != "checkpoint" {
			return Checkpoint{}, steward.Errorf(steward.EINVALID, "error.not_a_signed_line", "word", word, "problem", problem)
		}
		return Checkpoint{}, steward.Errorf(steward.EINVALID, "error.not_a_checkpoint_line", "problem", problem)
	}
	parts := strings.Fields(line)
	names := []string{word, "size=", "hash=", "key=", "signature="}
	if len(parts) != len(names) {
		return bad("error.checkpoint_parts", "n", len(parts), "want", len(names))
	}
	if parts[0] != names[0] {
		return bad("error.checkpoint_starts_with", "start", clip(parts[0]))
	}
	var vals [5]string
	for i := 1; i < len(names); i++ {
		v, ok := strings.CutPrefix(parts[i], names[i])
		if !ok {
			return bad("error.checkpoint_part_is", "n", i+1, "part", clip(parts[i]), "want", names[i])
		}
		vals[i] = v
	}
	size, err := strconv.ParseUint(vals[1], 10, 64)
	if err != nil || size == 0 {
		return bad("error.checkpoint_bad_size", "size", clip(vals[1]))
	}
	cp.Size = size
	if cp.Hash, err = ParseHash(vals[2]); err != nil {
		return bad("error.checkpoint_bad_hash", "hash", clip(vals[2]))
	}
	if id, err := hex.DecodeString(vals[3]); err != nil || len(id) != 8 {
		return bad("error.checkpoint_bad_key", "key", clip(vals[3]))
	}
	cp.KeyID = strings.ToLower(vals[3])
	if cp.Signature, err = hex.DecodeString(vals[4]); err != nil || len(cp.Signature) != ed25519.SignatureSize {
		return bad("error.checkpoint_bad_signature", "signature", clip(vals[4]), "n", 2*ed25519.SignatureSize)
	}
	return cp, nil
}

// clip shortens what a message quotes from a malformed line.
func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
