package web

import (
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net/http"

	"steward/consent"
)

// consentWeb is what the consent pages need (issue 6): the service that
// records choices, the gate that decides what runs, and the keys of the
// choice cookie and the newsletter links.
type consentWeb struct {
	svc  *consent.Service
	gate *consent.Gate
	key  *consent.Key
	// cookieKey signs the steward_consent cookie; unsubKey the
	// newsletter's unsubscribe links. Both derive from the site's consent
	// key, so they survive restarts and links in old mails keep working.
	cookieKey, unsubKey []byte
	newsletter          *consent.Newsletter
}

// newConsentWeb wires the consent pages. Without a configured key (tests,
// a first start without one) an ephemeral key is used: choices and links
// then do not survive a restart, which the log says.
func newConsentWeb(cfg Config) *consentWeb {
	key := cfg.ConsentKey
	if key == nil {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		key = consent.NewKey(priv)
		if cfg.Log != nil {
			cfg.Log.Warn("no consent key configured: cookie choices and unsubscribe links will not survive a restart", slog.String("key_id", key.ID()))
		}
	}
	svc := cfg.Consent
	c := &consentWeb{svc: svc, gate: cfg.Gate, key: key,
		cookieKey: key.Derive("cookie-choice"), unsubKey: key.Derive("newsletter-unsubscribe")}
	c.newsletter = &consent.Newsletter{Consent: svc, Gate: c.gate, Clock: cfg.Clock, BaseURL: cfg.BaseURL,
		UnsubKey: c.unsubKey}
	return c
}

// withConsentCache gives every request one cache of the purpose gate
// (consent.WithCache): each subject's consent and limits are read at most
// once per request however many tags, pages and handlers ask (issue 6:
// Allowed < 5 µs cached). It lives no longer than the request, so the
// next request sees a withdrawal at once (Art. 7(3)); within the request,
// Service.Record drops the subject it changes from this cache, so a
// handler that records a choice and then renders shows the new answer.
func withConsentCache(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(consent.WithCache(r.Context())))
	})
}
