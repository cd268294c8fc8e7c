package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/consent"
	"steward/mail"
	"steward/policy"
	"steward/store"
)

// This file holds the account operations that the pages and the JSON API
// share. Each opens one transaction and writes its audit entry and any mail
// inside it (G2, G3): a change, its log entry and its mail commit together
// or not at all.

// errLoginFailed is the one answer to a wrong e-mail or password, so a
// login does not tell whether an address has an account.
var errLoginFailed = steward.Errorf(steward.EUNAUTHORIZED, "e-mail address or password is wrong")

// errNotConfirmed is answered only to someone who gave the right password.
var errNotConfirmed = steward.Errorf(steward.EFORBIDDEN, "confirm your e-mail address first: follow the link in the mail we sent")

// signupInput is a sign-up form or API call: the policy's fields per record
// kind, and the password.
type signupInput struct {
	Records  map[string]map[string]string
	Password string
	Lang     string
	// Consents are the purpose ids whose box was ticked (Z3); recorded
	// with the account, in its transaction.
	Consents []string
}

// validateSignup checks a sign-up against the policy: exactly the sign-up
// records' fields (R4), every problem at once.
func (s *Server) validateSignup(in signupInput) (email string, vals map[string]account.Values, err error) {
	var errs account.FieldErrors
	signup := account.SignupRecords(s.cfg.Policy)
	for rid := range in.Records {
		if !slices.ContainsFunc(signup, func(r *policy.Record) bool { return r.ID == rid }) {
			errs = append(errs, steward.FieldError(rid, "is not asked at sign-up"))
		}
	}
	vals = map[string]account.Values{}
	for _, rec := range signup {
		v, err := account.Validate(rec, in.Records[rec.ID], false)
		errs = append(errs, prefixed(rec.ID, err)...)
		if err == nil {
			vals[rec.ID] = v
		}
	}
	if err := account.CheckPassword(in.Password); err != nil {
		errs = append(errs, account.AsFieldErrors(err)...)
	}
	if _, err := consent.SignupChanges(s.cfg.Policy, "", in.Consents, in.Lang); err != nil {
		errs = append(errs, account.AsFieldErrors(err)...)
	}
	if len(errs) > 0 {
		return "", nil, errs
	}
	ef := account.EmailField(s.cfg.Policy.Record(account.RecordID))
	if ef == nil {
		return "", nil, steward.Errorf(steward.EINTERNAL, "policy declares no e-mail field in record %q", account.RecordID)
	}
	email = vals[account.RecordID][ef.ID]
	// The login address lives in the account row; it is not kept twice.
	delete(vals[account.RecordID], ef.ID)
	return email, vals, nil
}

// prefixed renames the fields of err's field errors to record.field, the
// names the forms and the API use.
func prefixed(record string, err error) account.FieldErrors {
	var out account.FieldErrors
	for _, e := range account.AsFieldErrors(err) {
		c := *e
		c.Field = record + "." + e.Field
		out = append(out, &c)
	}
	return out
}

// signUp creates an unconfirmed account with its profile and enqueues the
// verification mail in the same transaction. For an address that already
// has an account it sends that address a notice instead and answers the
// same (no enumeration); both paths hash the password, so they take the
// same time.
func (s *Server) signUp(ctx context.Context, in signupInput) error {
	// A purpose named twice is one consent, recorded once.
	in.Consents = slices.Compact(slices.Sorted(slices.Values(in.Consents)))
	email, vals, err := s.validateSignup(in)
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	hash := account.HashPassword(in.Password, s.hashParams())
	if existing, err := s.cfg.Store.AccountByEmail(ctx, email); err == nil {
		return s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
			return s.enqueue(ctx, tx, existing, mail.Kind("signup_exists"), in.Lang, "mail.exists", s.link("/login", in.Lang, nil))
		})
	} else if steward.ErrorCode(err) != steward.ENOTFOUND {
		return err
	}
	a := &account.Account{ID: account.NewID("a-"), Email: email, PasswordHash: hash,
		Pseudonym: string(audit.NewPseudonym()), CreatedAt: now}
	if err := s.sealAll(a.ID, vals); err != nil {
		return err
	}
	consents, err := consent.SignupChanges(s.cfg.Policy, a.ID, in.Consents, in.Lang)
	if err != nil {
		return err
	}
	secret, tokenHash := account.NewSecret()
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAccount(ctx, a); err != nil {
			return err
		}
		var fields []string
		for rid, v := range vals {
			if err := tx.PutProfile(ctx, s.cfg.Policy, a.ID, rid, v, now); err != nil {
				return err
			}
			for f := range v {
				fields = append(fields, rid+"."+f)
			}
		}
		if err := tx.InsertToken(ctx, tokenHash, account.TokenVerify, a.ID, now, now.Add(account.TokenLifetime(account.TokenVerify))); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, a, mail.KindVerify, in.Lang, "mail.verify", s.link("/verify", in.Lang, url.Values{"token": {secret}})); err != nil {
			return err
		}
		// Z3: the boxes ticked at sign-up are recorded with the account,
		// each with the hash of the notice shown, and audited.
		if _, err := s.consent.svc.Record(ctx, tx, consents...); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), audit.AccountCreate, fields...)
	})
	if steward.ErrorCode(err) == steward.ECONFLICT {
		// Two sign-ups for one address raced; the answer stays the same.
		return nil
	}
	if err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	s.cfg.Log.Info("account created", "account", a.ID, "request_id", RequestID(ctx))
	s.notifyMail()
	return nil
}

// confirm spends a verification token and marks the address confirmed.
func (s *Server) confirm(ctx context.Context, secret string) error {
	now := s.cfg.Clock.Now()
	return s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		id, err := tx.UseToken(ctx, account.HashSecret(secret), account.TokenVerify, now)
		if err != nil {
			return err
		}
		changed, err := tx.ConfirmAccount(ctx, id, now)
		if err != nil || !changed {
			return err
		}
		a, err := tx.AccountByID(ctx, id)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), audit.AccountConfirm)
	})
}

// login checks an e-mail address and password and opens a new session. An
// unknown address costs one hash too, so it answers in the same time.
func (s *Server) login(ctx context.Context, email, password string, api bool) (secret string, se *account.Session, a *account.Account, err error) {
	a, err = s.cfg.Store.AccountByEmail(ctx, email)
	if err != nil {
		if steward.ErrorCode(err) != steward.ENOTFOUND {
			return "", nil, nil, err
		}
		account.BurnHashTime(password, s.hashParams())
		return "", nil, nil, errLoginFailed
	}
	if a.PasswordHash == "" {
		account.BurnHashTime(password, s.hashParams())
		return "", nil, nil, errLoginFailed
	}
	ok, rehash, err := account.VerifyPassword(password, a.PasswordHash, s.hashParams())
	if err != nil {
		return "", nil, nil, fmt.Errorf("login %s: %w", a.ID, err)
	}
	if !ok {
		return "", nil, nil, errLoginFailed
	}
	if !a.Confirmed() {
		return "", nil, nil, errNotConfirmed
	}
	now := s.cfg.Clock.Now()
	secret, id := account.NewSecret()
	csrf, _ := account.NewSecret()
	se = &account.Session{ID: id, AccountID: a.ID, CreatedAt: now, LastSeen: now, AuthAt: now, CSRF: csrf, API: api}
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if rehash {
			// Parameters were raised since this hash was made: upgrade it
			// now that the password is at hand.
			if err := tx.SetPasswordHash(ctx, a.ID, account.HashPassword(password, s.hashParams())); err != nil {
				return err
			}
		}
		if err := tx.RecordLogin(ctx, a.ID, now); err != nil {
			return err
		}
		return tx.InsertSession(ctx, se)
	})
	if err != nil {
		return "", nil, nil, fmt.Errorf("login %s: %w", a.ID, err)
	}
	s.cfg.Log.Info("login", "account", a.ID, "request_id", RequestID(ctx))
	return secret, se, a, nil
}

// logout ends the session au is logged in with, at the person's request,
// and records it (R12: who ended which session is in the log; the session
// id is not, since its hash is the login secret's).
func (s *Server) logout(ctx context.Context, au *authed) error {
	err := s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		ended, err := tx.DeleteSession(ctx, au.Session.ID)
		if err != nil || !ended {
			return err
		}
		return s.audit(ctx, tx, au.Account, subjectActor(au.Account), audit.SessionLogout)
	})
	if err != nil {
		return fmt.Errorf("logout %s: %w", au.Account.ID, err)
	}
	return nil
}

// expire removes a session that timed out. It is not audited, like the
// background pruning of expired sessions: nobody acted.
func (s *Server) expire(ctx context.Context, se *account.Session) error {
	return s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.DeleteSession(ctx, se.ID)
		return err
	})
}

// revokeSessions ends every session of a person, by themselves or staff.
func (s *Server) revokeSessions(ctx context.Context, actor audit.Actor, subject *account.Account) (int64, error) {
	var n int64
	err := s.cfg.Store.InTx(ctx, func(tx *store.Tx) (err error) {
		if n, err = tx.RevokeSessions(ctx, subject.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, subject, actor, audit.SessionRevoke)
	})
	return n, err
}

// requestReset sends a single-use reset link if the address has an
// account. The answer is the same either way and costs the same: one hash.
func (s *Server) requestReset(ctx context.Context, email, lang string) error {
	account.BurnHashTime(email, s.hashParams())
	norm, err := account.NormalizeEmail(email)
	if err != nil {
		return steward.FieldError("email", "is not a valid e-mail address")
	}
	a, err := s.cfg.Store.AccountByEmail(ctx, norm)
	if steward.ErrorCode(err) == steward.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	secret, hash := account.NewSecret()
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertToken(ctx, hash, account.TokenReset, a.ID, now, now.Add(account.TokenLifetime(account.TokenReset))); err != nil {
			return err
		}
		// The link opens the new-password form; /reset itself asks for
		// an address (issue 13).
		return s.enqueue(ctx, tx, a, mail.KindReset, lang, "mail.reset", s.link("/reset/confirm", lang, url.Values{"token": {secret}}))
	})
	if err != nil {
		return fmt.Errorf("request reset: %w", err)
	}
	s.notifyMail()
	return nil
}

// resetPassword spends a reset (or staff set-password) token, sets the new
// password and ends every session of the person, so whoever had the old
// password is logged out. A reset also confirms the address: the link
// reached it.
func (s *Server) resetPassword(ctx context.Context, secret, password string) error {
	if err := account.CheckPassword(password); err != nil {
		return err
	}
	hash := account.HashPassword(password, s.hashParams())
	now := s.cfg.Clock.Now()
	return s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		th := account.HashSecret(secret)
		id, err := tx.UseToken(ctx, th, account.TokenReset, now)
		if errors.Is(err, store.ErrBadToken) {
			id, err = tx.UseToken(ctx, th, account.TokenSetPassword, now)
		}
		if err != nil {
			return err
		}
		if err := tx.SetPasswordHash(ctx, id, hash); err != nil {
			return err
		}
		if _, err := tx.ConfirmAccount(ctx, id, now); err != nil {
			return err
		}
		a, err := tx.AccountByID(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.RevokeSessions(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), audit.SessionRevoke, "password")
	})
}

// updateProfile validates and stores edits of the person's own profile
// (R1, Z2, rectification). Input is per record, partial: fields not sent
// keep their value. Every problem is reported; nothing is stored unless all
// is well (G3).
func (s *Server) updateProfile(ctx context.Context, a *account.Account, in map[string]map[string]string) ([]string, error) {
	var errs account.FieldErrors
	records := account.ProfileRecords(s.cfg.Policy)
	vals := map[string]account.Values{}
	for rid, fields := range in {
		i := slices.IndexFunc(records, func(r *policy.Record) bool { return r.ID == rid })
		if i < 0 {
			errs = append(errs, steward.FieldError(rid, "is not part of the profile"))
			continue
		}
		rec := records[i]
		if rid == account.RecordID {
			if ef := account.EmailField(rec); ef != nil {
				if _, ok := fields[ef.ID]; ok {
					errs = append(errs, steward.FieldError(rid+"."+ef.ID, "cannot be changed here"))
					continue
				}
			}
		}
		v, err := account.Validate(rec, fields, true)
		errs = append(errs, prefixed(rid, err)...)
		if err == nil {
			vals[rid] = v
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := s.sealAll(a.ID, vals); err != nil {
		return nil, err
	}
	var fields []string
	for rid, v := range vals {
		for f := range v {
			fields = append(fields, rid+"."+f)
		}
	}
	slices.Sort(fields)
	if len(fields) == 0 {
		return nil, nil
	}
	now := s.cfg.Clock.Now()
	err := s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		for rid, v := range vals {
			if err := tx.PutProfile(ctx, s.cfg.Policy, a.ID, rid, v, now); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a, audit.SubjectActor(audit.Pseudonym(a.Pseudonym)), audit.ProfileUpdate, fields...)
	})
	if err != nil {
		return nil, fmt.Errorf("update profile of %s: %w", a.ID, err)
	}
	s.cfg.Log.Info("profile updated", "account", a.ID, "fields", fields, "request_id", RequestID(ctx))
	return fields, nil
}

// loadProfile reads every profile record of a person. reveal names the
// "record.field" whose sensitive value is shown in full, to its owner only.
func (s *Server) loadProfile(ctx context.Context, a *account.Account, reveal string) (map[string]account.Values, error) {
	out := map[string]account.Values{}
	for _, rec := range account.ProfileRecords(s.cfg.Policy) {
		v, err := s.cfg.Store.Profile(ctx, a.ID, rec.ID)
		if err != nil {
			return nil, err
		}
		for _, f := range account.InputFields(rec) {
			raw, ok := v[f.ID]
			if !ok || !f.Sensitive {
				continue
			}
			plain, err := s.open(a.ID, rec.ID, f.ID, raw)
			if err != nil {
				return nil, err
			}
			if reveal == rec.ID+"."+f.ID {
				v[f.ID] = plain
			} else {
				v[f.ID] = account.Mask(plain)
			}
		}
		if rec.ID == account.RecordID {
			if ef := account.EmailField(rec); ef != nil {
				v[ef.ID] = a.Email
			}
		}
		out[rec.ID] = v
	}
	return out, nil
}

// sealAll encrypts the values of sensitive fields (R3). Without a key it
// refuses: never a plaintext fallback.
func (s *Server) sealAll(accountID string, vals map[string]account.Values) error {
	for rid, v := range vals {
		rec := s.cfg.Policy.Record(rid)
		for f, val := range v {
			if fd := rec.Field(f); fd != nil && fd.Sensitive && val != "" {
				if s.cfg.Sealer == nil {
					return steward.Errorf(steward.EUNAVAILABLE, "sensitive fields cannot be stored: no data key is configured")
				}
				v[f] = s.cfg.Sealer.Seal(val, sealAAD(accountID, rid, f))
			}
		}
	}
	return nil
}

func (s *Server) open(accountID, record, field, sealed string) (string, error) {
	if s.cfg.Sealer == nil {
		return "", steward.Errorf(steward.EUNAVAILABLE, "sensitive fields cannot be read: no data key is configured")
	}
	v, err := s.cfg.Sealer.Open(sealed, sealAAD(accountID, record, field))
	if err != nil {
		return "", fmt.Errorf("open %s.%s of %s: %w", record, field, accountID, err)
	}
	return v, nil
}

func sealAAD(accountID, record, field string) string { return accountID + "/" + record + "/" + field }

// audit appends one entry about account a in tx. Entries carry field
// names only, never values (G2).
func (s *Server) audit(ctx context.Context, tx *store.Tx, a *account.Account, actor audit.Actor, action audit.Action, fields ...string) error {
	return tx.AppendAudit(audit.Entry{
		Time: s.cfg.Clock.Now(), Actor: actor, Action: action, ObjectKind: "account", ObjectID: a.ID,
		Subject: audit.Pseudonym(a.Pseudonym), Fields: fields, PolicyVersion: s.cfg.Policy.Version.Number,
		RequestID: RequestID(ctx),
	})
}

// enqueue writes a mail to a in the outbox inside tx, texts from the
// catalogue in the person's language, with one link.
func (s *Server) enqueue(ctx context.Context, tx *store.Tx, a *account.Account, kind mail.Kind, lang, key, link string) error {
	if lang == "" {
		lang = policy.Languages[0]
	}
	site := s.cfg.Policy.Site.Name
	text := strings.NewReplacer("{site}", site, "{link}", link).Replace(s.catalog.T(lang, key+".body"))
	subject := strings.NewReplacer("{site}", site).Replace(s.catalog.T(lang, key+".subject"))
	_, err := mail.Enqueue(ctx, tx, s.cfg.Clock.Now(), mail.Message{Kind: kind, SubjectID: a.ID, To: a.Email, Subject: subject, Text: text})
	return err
}

// notifyMail wakes the mail dispatcher, when one runs in this process.
func (s *Server) notifyMail() {
	if s.cfg.MailNotify != nil {
		s.cfg.MailNotify()
	}
}

// link returns an absolute link to path on the site, in lang.
func (s *Server) link(path, lang string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if lang != "" && lang != policy.Languages[0] {
		q.Set("lang", lang)
	}
	u := strings.TrimRight(s.cfg.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (s *Server) hashParams() account.HashParams {
	if s.cfg.HashParams != nil {
		return *s.cfg.HashParams
	}
	return account.DefaultParams
}

// sessionCookie is the name of the session cookie (R11: strictly
// necessary, session-only, removed on logout).
const sessionCookie = "steward_session"

// setSessionCookie gives the browser the session secret.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, secret string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
}

// clearSessionCookie removes the session cookie.
func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
}

// subjectActor is the audit actor for a person acting on their own data.
func subjectActor(a *account.Account) audit.Actor {
	if a.IsStaff() {
		return audit.Staff(a.ID)
	}
	return audit.SubjectActor(audit.Pseudonym(a.Pseudonym))
}
