package order

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"steward"
)

// LinkTTL is how long a download link works.
const LinkTTL = 15 * time.Minute

// Link is what a signed download link says: who may use it, for which
// product, until when.
type Link struct {
	Account string
	Product string
	Expires time.Time
}

// Sign writes l as a token: the three parts in base64url, then an
// HMAC-SHA256 over them with key. Nothing in it is secret, but nobody
// without key can make or change one.
func Sign(key []byte, l Link) string {
	body := base64.RawURLEncoding.EncodeToString([]byte(l.Account + "\n" + l.Product + "\n" + strconv.FormatInt(l.Expires.Unix(), 10)))
	return body + "." + mac(key, body)
}

func mac(key []byte, body string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("steward download link v1\n" + body))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// Verify reads a token made by Sign for account at now: a token that was
// not made with key, or changed, is ENOTFOUND; one for another account
// EFORBIDDEN; an expired one EFORBIDDEN too — each with a clear message and nothing
// recorded.
func Verify(key []byte, token, account string, now time.Time) (Link, error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(mac(key, body))) {
		return Link{}, steward.Errorf(steward.ENOTFOUND, "error.download_link_invalid")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	parts := strings.Split(string(raw), "\n")
	if err != nil || len(parts) != 3 {
		return Link{}, steward.Errorf(steward.ENOTFOUND, "error.download_link_invalid")
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return Link{}, steward.Errorf(steward.ENOTFOUND, "error.download_link_invalid")
	}
	l := Link{Account: parts[0], Product: parts[1], Expires: time.Unix(exp, 0).UTC()}
	if l.Account != account {
		return Link{}, steward.Errorf(steward.EFORBIDDEN, "error.download_link_other_account")
	}
	if !now.Before(l.Expires) {
		return Link{}, steward.Errorf(steward.EFORBIDDEN, "error.download_link_expired")
	}
	return l, nil
}
