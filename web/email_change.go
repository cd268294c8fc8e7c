package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/mail"
	"steward/store"
)

// Changing the login e-mail address (issue 4, R1 rectification, R12). The
// new address must prove it reads its mail: a link goes to it, stored
// hashed, single use, expiring after account.EmailChangeLifetime; until it
// is followed the account keeps its old address. On confirmation every
// other session ends and the old address is told. An address that already
// has an account gets the same answer (no enumeration); its owner is told
// by mail instead.

// Mail kinds of an address change.
const (
	kindEmailChange      mail.Kind = "email_change"       // the link, to the new address
	kindEmailChangeTaken mail.Kind = "email_change_taken" // to the owner of an address already in use
	kindEmailChanged     mail.Kind = "email_changed"      // the notice, to the old address
)

// emailChangeInput is a request to change the login address: the new
// address and the current password, so a session left open on a shared
// computer cannot take over the account.
type emailChangeInput struct {
	Email, Password, Lang string
}

// requestEmailChange checks the password and the new address and sends
// the confirmation link to it — or, when the address has an account
// already, a notice to that account instead. Either way the answer is the
// same and nothing about the account changes yet.
func (s *Server) requestEmailChange(ctx context.Context, au *authed, in emailChangeInput) error {
	a := au.Account
	var errs account.FieldErrors
	norm, err := account.NormalizeEmail(in.Email)
	if err != nil {
		errs = append(errs, steward.FieldError("email", "is not a valid e-mail address"))
	} else if accountKey(norm) == accountKey(a.Email) {
		errs = append(errs, steward.FieldError("email", "is already your login address"))
	}
	ok, _, err := account.VerifyPassword(in.Password, a.PasswordHash, s.hashParams())
	if err != nil {
		return fmt.Errorf("e-mail change of %s: %w", a.ID, err)
	}
	if !ok {
		errs = append(errs, steward.FieldError("password", "is wrong"))
	}
	if len(errs) > 0 {
		return errs
	}
	if err := checkLimits(s.limits.resetAccount, "email-change:"+a.ID); err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	existing, err := s.cfg.Store.AccountByEmail(ctx, norm)
	if err != nil && steward.ErrorCode(err) != steward.ENOTFOUND {
		return err
	}
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if existing != nil {
			return s.enqueue(ctx, tx, existing, kindEmailChangeTaken, in.Lang, "mail.email_taken", s.link("/login", in.Lang, nil))
		}
		secret, hash := account.NewSecret()
		if err := tx.InsertEmailChange(ctx, hash, a.ID, norm, now, now.Add(account.EmailChangeLifetime)); err != nil {
			return err
		}
		to := *a
		to.Email = norm
		return s.enqueue(ctx, tx, &to, kindEmailChange, in.Lang, "mail.email_change",
			s.link("/account/email/confirm", in.Lang, url.Values{"token": {secret}}))
	})
	if err != nil {
		return fmt.Errorf("e-mail change of %s: %w", a.ID, err)
	}
	s.cfg.Log.Info("e-mail change requested", "account", a.ID, "request_id", RequestID(ctx))
	s.notifyMail()
	return nil
}

// confirmEmailChange spends a change link: the account gets the new
// address, every session but keep (the one the link was followed in, if
// it is the same person's) ends, the old address is told, and the change
// is audited with the field name only (G2) — all in one transaction.
func (s *Server) confirmEmailChange(ctx context.Context, secret, lang string, current *authed) error {
	now := s.cfg.Clock.Now()
	var id string
	err := s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		var newEmail string
		var err error
		id, newEmail, err = tx.UseEmailChange(ctx, account.HashSecret(secret), now)
		if err != nil {
			return err
		}
		a, err := tx.AccountByID(ctx, id)
		if err != nil {
			return err
		}
		old := *a
		if err := tx.SetEmail(ctx, id, newEmail); err != nil {
			return err
		}
		keep := ""
		if current != nil && current.Account.ID == id {
			keep = current.Session.ID
		}
		if _, err := tx.RevokeOtherSessions(ctx, id, keep); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, &old, kindEmailChanged, lang, "mail.email_changed", s.link("/privacy", lang, nil)); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, subjectActor(a), audit.ProfileUpdate, "email")
	})
	if err != nil {
		if steward.ErrorCode(err) != steward.EINTERNAL {
			return err // a bad link or an address taken since: said as is
		}
		return fmt.Errorf("confirm e-mail change: %w", err)
	}
	s.cfg.Log.Info("e-mail changed", "account", id, "fields", []string{"email"}, "request_id", RequestID(ctx))
	s.notifyMail()
	return nil
}

// emailChangeSubmit is the profile page's "change login address" form.
func (s *Server) emailChangeSubmit(w http.ResponseWriter, r *http.Request) {
	au := s.requireLogin(w, r)
	if au == nil {
		return
	}
	if !s.checkForm(w, r, au) {
		return
	}
	if err := checkLimits(s.limits.resetIP, s.clientIP(r)); err != nil {
		s.failT(w, r, err)
		return
	}
	lang := mustLang(r)
	err := s.requestEmailChange(r.Context(), au, emailChangeInput{Email: r.PostForm.Get("email"), Password: r.PostForm.Get("password"), Lang: lang})
	if fe := account.AsFieldErrors(err); fe != nil {
		s.renderProfileEmail(w, r, au, fe, r.PostForm.Get("email"))
		return
	}
	if err != nil {
		s.failT(w, r, err)
		return
	}
	s.message(w, r, lang, http.StatusOK, "email_change.sent_title", "email_change.sent")
}

// emailChangePage is where the link in the mail leads: a button, so a
// mail scanner fetching the link changes nothing.
func (s *Server) emailChangePage(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	d := &formData{Action: "/account/email/confirm" + langQuery(lang), CSRF: s.formToken("email-change"), Token: r.URL.Query().Get("token")}
	s.render(w, r, http.StatusOK, "email_confirm", s.page(r, lang, "email_change.confirm_title", d))
}

// emailChangeConfirm spends the link. It works without a login (the link
// proves the mailbox); the session it is followed in, if any, stays.
func (s *Server) emailChangeConfirm(w http.ResponseWriter, r *http.Request) {
	lang := mustLang(r)
	if err := parseForm(r); err != nil {
		s.failT(w, r, err)
		return
	}
	if err := s.checkFormToken("email-change", r.PostForm.Get("csrf")); err != nil {
		s.failT(w, r, err)
		return
	}
	au, err := s.auth(w, r)
	if err != nil {
		s.failT(w, r, err)
		return
	}
	if err := s.confirmEmailChange(r.Context(), r.PostForm.Get("token"), lang, au); err != nil {
		s.failT(w, r, err)
		return
	}
	s.message(w, r, lang, http.StatusOK, "email_change.done_title", "email_change.done")
}

func (s *Server) apiEmailChange(w http.ResponseWriter, r *http.Request) {
	au := s.apiAuth(w, r)
	if au == nil {
		return
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Lang     string `json:"lang"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := checkLimits(s.limits.resetIP, s.clientIP(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	if in.Lang != "en" {
		in.Lang = "nl"
	}
	if err := s.requestEmailChange(r.Context(), au, emailChangeInput{Email: in.Email, Password: in.Password, Lang: in.Lang}); err != nil {
		s.serveAPIError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "check_your_mail"})
}

func (s *Server) apiEmailChangeConfirm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
		Lang  string `json:"lang"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.serveError(w, r, err)
		return
	}
	au, err := s.auth(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if in.Lang != "en" {
		in.Lang = "nl"
	}
	if err := s.confirmEmailChange(r.Context(), in.Token, in.Lang, au); err != nil {
		s.serveError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "email_changed"})
}
