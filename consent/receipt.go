package consent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"steward"
	"steward/keyfile"
)

// DefaultKeyFile is where the site's consent key lives unless configured
// (STEWARD_CONSENT_KEY_FILE, --consent-key).
const DefaultKeyFile = "./steward-consent.key"

// Key is the site's ed25519 key that signs consent receipts. Keys for the
// cookie-choice MAC and newsletter unsubscribe links are derived from it,
// so one file holds every consent secret.
type Key struct {
	priv ed25519.PrivateKey
}

// NewKey wraps an ed25519 private key.
func NewKey(priv ed25519.PrivateKey) *Key { return &Key{priv: priv} }

// Public returns the public half.
func (k *Key) Public() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

// ID names the key: the first 16 hex digits of the public key's SHA-256.
func (k *Key) ID() string { return KeyID(k.Public()) }

// KeyID names a public key.
func KeyID(pub ed25519.PublicKey) string { return keyfile.ID(pub) }

// Derive returns a 32-byte secret for one use (a label such as
// "cookie-choice"), so the signing key itself signs receipts only.
func (k *Key) Derive(label string) []byte {
	h := sha256.New()
	h.Write([]byte("steward consent key derivation\x00" + label + "\x00"))
	h.Write(k.priv.Seed())
	return h.Sum(nil)
}

// LoadKey reads a key written by LoadOrCreateKey (PEM, PKCS #8). A missing
// file is an ENOTFOUND error.
func LoadKey(path string) (*Key, error) {
	k, err := keyfile.Load(path, "consent key")
	if err != nil {
		return nil, err
	}
	return NewKey(k), nil
}

// LoadOrCreateKey reads the key at path, generating it (mode 0600) when the
// file does not exist; created tells the caller to say so.
func LoadOrCreateKey(path string) (k *Key, created bool, err error) {
	priv, created, err := keyfile.LoadOrCreate(path, "consent key")
	if err != nil {
		return nil, false, err
	}
	return NewKey(priv), created, nil
}

// ReceiptFormat names the receipt's JSON format.
const ReceiptFormat = "steward-consent-receipt/1"

// Receipt is a person's full consent history with the words of every
// notice they answered, signed by the site (Art. 7(1), issue 6): proof the
// person can keep and anyone with the site's public key can check.
type Receipt struct {
	// Payload is the signed content, exactly as signed.
	Payload json.RawMessage `json:"payload"`
	// KeyID names the site key; Signature is ed25519 over Payload, base64.
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"`
}

// ReceiptPayload is what a receipt states.
type ReceiptPayload struct {
	Format        string    `json:"format"`
	Site          string    `json:"site"`
	Subject       string    `json:"subject"`
	IssuedAt      time.Time `json:"issued_at"`
	PolicyVersion string    `json:"policy_version"`
	// Records is the full history, oldest first.
	Records []ReceiptRecord `json:"records"`
	// Notices maps each notice hash to its exact words.
	Notices map[string]ReceiptNotice `json:"notices"`
}

// ReceiptRecord is one record in a receipt.
type ReceiptRecord struct {
	ID            int64     `json:"id"`
	Purpose       string    `json:"purpose"`
	Given         bool      `json:"given"`
	Channel       string    `json:"channel"`
	At            time.Time `json:"at"`
	NoticeHash    string    `json:"notice_hash"`
	PolicyVersion string    `json:"policy_version"`
}

// ReceiptNotice is the text of one notice.
type ReceiptNotice struct {
	Lang string `json:"lang"`
	Text string `json:"text"`
}

// Receipt builds and signs subject's consent receipt.
func (s *Service) Receipt(ctx context.Context, key *Key, subject string) ([]byte, error) {
	h, err := s.History(ctx, subject)
	if err != nil {
		return nil, err
	}
	p := ReceiptPayload{Format: ReceiptFormat, Site: s.Policy.Site.ID, Subject: subject, IssuedAt: s.Clock.Now().UTC(),
		PolicyVersion: s.Policy.Version.Number, Records: []ReceiptRecord{}, Notices: map[string]ReceiptNotice{}}
	hashes := make([]string, 0, len(h))
	for _, r := range h {
		p.Records = append(p.Records, ReceiptRecord{ID: r.ID, Purpose: r.Purpose, Given: r.Given, Channel: string(r.Channel),
			At: r.At, NoticeHash: r.NoticeHash, PolicyVersion: r.PolicyVersion})
		hashes = append(hashes, r.NoticeHash)
	}
	notices, err := s.Store.ConsentNotices(ctx, hashes)
	if err != nil {
		return nil, fmt.Errorf("consent: receipt: %w", err)
	}
	for hash, n := range notices {
		p.Notices[hash] = ReceiptNotice{Lang: n.Lang, Text: n.Text}
	}
	return SignReceipt(key, p)
}

// SignReceipt encodes p and signs it.
func SignReceipt(key *Key, p ReceiptPayload) ([]byte, error) {
	payload, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("consent: encode receipt: %w", err)
	}
	r := Receipt{Payload: payload, KeyID: key.ID(), Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key.priv, payload))}
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("consent: encode receipt: %w", err)
	}
	return append(out, '\n'), nil
}

// VerifyReceipt checks a receipt against the site's public key: the
// signature over the payload exactly as written, and that every record's
// notice is present and hashes to its fingerprint. The error says, in one
// line, why a receipt is not valid.
func VerifyReceipt(data []byte, pub ed25519.PublicKey) (*ReceiptPayload, error) {
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, steward.Errorf(steward.EINVALID, "error.not_consent_receipt", "err", err)
	}
	if r.KeyID != KeyID(pub) {
		return nil, steward.Errorf(steward.EINVALID, "error.signed_key_not_site", "key_id", r.KeyID, "pub", KeyID(pub))
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil {
		return nil, steward.Errorf(steward.EINVALID, "error.signature_is_not_base64")
	}
	// The raw payload is compacted the way it was signed, so re-indenting
	// the file does not break it but any change to its content does.
	var compact bytes.Buffer
	if err := json.Compact(&compact, r.Payload); err != nil {
		return nil, steward.Errorf(steward.EINVALID, "error.payload_is_not_json", "err", err)
	}
	if !ed25519.Verify(pub, compact.Bytes(), sig) {
		return nil, steward.Errorf(steward.EINVALID, "error.signature_does_not_match")
	}
	var p ReceiptPayload
	if err := json.Unmarshal(r.Payload, &p); err != nil {
		return nil, steward.Errorf(steward.EINVALID, "error.receipt_payload", "err", err)
	}
	if p.Format != ReceiptFormat {
		return nil, steward.Errorf(steward.EINVALID, "error.unknown_receipt_format", "format", p.Format)
	}
	for hash, n := range p.Notices {
		if NoticeHash(n.Text) != hash {
			return nil, steward.Errorf(steward.EINVALID, "error.notice_does_not_hash", "hash", hash)
		}
	}
	for _, rec := range p.Records {
		if _, ok := p.Notices[rec.NoticeHash]; !ok {
			return nil, steward.Errorf(steward.EINVALID, "error.record_refers_notice_receipt", "id", rec.ID, "notice_hash", rec.NoticeHash)
		}
	}
	return &p, nil
}
