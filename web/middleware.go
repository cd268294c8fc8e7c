package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"steward"

	"steward/audit"
)

// maxBody bounds every request body; forms and API calls are small. A larger
// body is refused with 413 before any handler reads it.
const maxBody = 64 << 10

// contentSecurityPolicy allows only the site's own scripts, styles and
// images: no inline script or style, no framing (R12).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// RequestID returns the id the middleware gave the request, for logs and
// the audit log's correlation id. The middleware puts it in the one place
// audit.Log.Record reads it from (audit.WithRequestID), so every entry
// made while handling a request carries the X-Request-Id of its response
// (issue 5), whichever domain writes it.
func RequestID(ctx context.Context) string { return audit.RequestID(ctx) }

// middleware wraps the router: request id, recovery, logging, security
// headers, a body limit, the consent gate's per-request cache, the
// request's viewer memo (the header's menu) and
// cross-origin protection of state-changing requests (CSRF). Order
// matters: the outermost runs first.
func (s *Server) middleware(h http.Handler) http.Handler {
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, steward.Errorf(steward.EFORBIDDEN, "error.cross_origin_refused"))
	}))
	// The OpenID Connect client's server calls these with its own
	// credentials or token, never with the person's cookie (RFC 6749 §3.2,
	// RFC 6750); a browser application (a public client) calls them cross
	// origin by design.
	for _, p := range []string{"POST /oidc/token", "POST /oidc/userinfo", "POST /oidc/revoke"} {
		csrf.AddInsecureBypassPattern(p)
	}
	// The payment provider's webhook is a server-to-server POST that
	// changes nothing by itself (order/service fetches the payment).
	csrf.AddInsecureBypassPattern("POST /payments/{provider}/webhook")
	h = csrf.Handler(s.withUsageCount(h))
	return s.withRequestID(s.withRecovery(s.withLogging(s.withSecurityHeaders(s.withBodyLimit(withConsentCache(withViewer(h)))))))
}

// withUsageCount counts page views per page and day (issue 18 item 8). It
// wraps the router itself, which sets the request's Pattern: the count
// is by route, never by the address asked for, and nothing about the
// visitor is looked at.
func (s *Server) withUsageCount(next http.Handler) http.Handler {
	if s.cfg.Usage == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.cfg.Usage.Count(r.Method, r.Pattern, rec.status, w.Header().Get("Content-Type"))
	})
}

func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(audit.WithRequestID(r.Context(), id)))
	})
}

func (s *Server) withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.cfg.Log.Error("panic serving request", "request_id", RequestID(r.Context()), "path", r.URL.Path, "panic", p)
				s.fail(w, r, errInternal)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// withLogging writes one access-log line per request. It logs the path but
// never the query string or body, which can carry tokens and personal
// values; client addresses are not logged either.
func (s *Server) withLogging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.cfg.Log.Info("request", "request_id", RequestID(r.Context()), "method", r.Method,
			"path", r.URL.Path, "status", rec.status, "duration_ms", time.Since(start).Milliseconds())
	})
}

func (s *Server) withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if s.secure(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if personalPath(r.URL.Path) {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// withBodyLimit refuses a body over maxBody before any handler reads it,
// in plain text in the request's language.
func (s *Server) withBodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxBody)
		if strings.HasPrefix(r.URL.Path, "/xapi/") {
			limit = maxXAPIBody // a batch of statements from the LMS
		}
		if r.ContentLength > limit {
			http.Error(w, s.catalog.Text(mustLang(r), "error.request_too_large"), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// personalPath reports whether responses under path show personal data —
// the person's own pages (/account…), the staff pages (/staff/…) and the
// API — so that no browser or proxy cache may keep them (R12): the
// profile, a revealed BIG number, a staff view of a record, an export.
// Set here, once, before any handler runs, so error pages and downloads
// under these paths are covered too.
func personalPath(path string) bool {
	return path == "/account" || strings.HasPrefix(path, "/account/") ||
		path == "/staff" || strings.HasPrefix(path, "/staff/") || strings.HasPrefix(path, "/api/") ||
		strings.HasPrefix(path, "/xapi/")
}
