package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/policy"
	"steward/statement"
)

// noticeView is the banner about a published change of the privacy
// statement (Z11; issue 20).
type noticeView struct {
	N       int
	Summary string
	// From is the date the change takes effect, in words, while it is
	// still to come; empty once it is in force.
	From   string
	Action string
	Return string
	// CSRF is the session's token for a logged-in person; anonymous
	// visitors' dismissal is a cookie.
	CSRF string
}

// noticeView returns the banner for this request, or nil: none on staff
// pages (it would stand in the way of their work area), none once the
// person dismissed it (their account remembers; a visitor's
// steward_notice cookie holds the version's number), none after the
// policy's banner period. A failed read shows no banner and is logged:
// the page matters more.
func (s *Server) noticeView(r *http.Request, lang string) *noticeView {
	if r.URL.Path == "/staff" || strings.HasPrefix(r.URL.Path, "/staff/") {
		return nil
	}
	b, ok, err := s.cfg.Notices.Banner(r.Context(), s.cfg.Policy)
	if err != nil {
		s.cfg.Log.Error("notice: read the newest policy version", "request_id", RequestID(r.Context()), "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	if c, err := r.Cookie(policy.NoticeCookie); err == nil && c.Value == strconv.Itoa(b.N) {
		return nil
	}
	v := &noticeView{N: b.N, Summary: b.Summary.In(lang), Action: "/privacy/notice" + langQuery(lang), Return: r.URL.RequestURI()}
	if r.Method != http.MethodGet {
		v.Return = "/" + langQuery(lang)
	}
	if au := s.viewer(r); au != nil {
		done, err := s.cfg.Notices.Dismissed(r.Context(), s.cfg.Policy.Site.ID, b.N, au.Account.ID)
		if err != nil {
			s.cfg.Log.Error("notice: read dismissal", "request_id", RequestID(r.Context()), "err", err)
			return nil
		}
		if done {
			return nil
		}
		v.CSRF = au.Session.CSRF
	}
	if b.Upcoming {
		if v.From, err = statement.DateInWords(lang, b.EffectiveAt); err != nil {
			return nil
		}
	}
	return v
}

// noticeDismiss hides the banner about version n for whoever asks: kept
// with a logged-in person's account (the session's CSRF token is
// required), in the steward_notice cookie for a visitor — one of
// Steward's own cookies (policy.StewardCookies), so the cookie pages and
// statements list it. It works without JavaScript: a small form posts
// here and returns to the page.
func (s *Server) noticeDismiss(w http.ResponseWriter, r *http.Request) {
	lang, err := langOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	au, err := s.auth(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if au != nil {
		if !s.checkForm(w, r, au) {
			return
		}
	} else if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PostForm.Get("n"))
	if err != nil || n < 1 {
		s.fail(w, r, steward.FieldError("n", "error.policy_version_number", "value", r.PostForm.Get("n")))
		return
	}
	if au != nil {
		if err := s.cfg.Notices.Dismiss(r.Context(), s.cfg.Policy.Site.ID, n, au.Account.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	} else {
		if _, err := s.cfg.Store.PolicyPublication(r.Context(), s.cfg.Policy.Site.ID, n); err != nil {
			s.fail(w, r, err)
			return
		}
		now := s.cfg.Clock.Now()
		http.SetCookie(w, &http.Cookie{Name: policy.NoticeCookie, Value: strconv.Itoa(n), Path: "/",
			MaxAge:   int(policy.NoticeCookieLifetime.AddTo(now).Sub(now) / time.Second),
			HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, safeReturn(r.PostForm.Get("return"), lang), http.StatusSeeOther)
}
