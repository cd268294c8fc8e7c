package service

import (
	"context"
	"errors"
	"fmt"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/mail"
	"steward/store"
)

// KindSecondFactor is a notice about an account's second factor: enrolled,
// turned off, reset by staff, or a recovery code used (ASVS 2.2.3; issue
// 14, findings 4 and 7).
const KindSecondFactor mail.Kind = "second_factor"

// CodeNeeded is Login's answer to a right password of an account with a
// second factor: no session yet, only the secret of a half-done login that
// LoginCode completes. It is an error, so a caller that does not know
// about second factors fails closed.
type CodeNeeded struct {
	// Challenge is the half-done login's secret, for the client to hold.
	Challenge string
}

// errCodeNeeded is what CodeNeeded says to a client that cannot answer it.
var errCodeNeeded = steward.Errorf(steward.EUNAUTHORIZED, "error.code_needed")

func (c *CodeNeeded) Error() string { return errCodeNeeded.Error() }
func (c *CodeNeeded) Unwrap() error { return errCodeNeeded }

// Errors of the code step.
var (
	// ErrWrongCode is the one answer to a wrong, old or reused code.
	ErrWrongCode = steward.FieldError("code", "error.wrong_code")
	// ErrLoginExpired ends a half-done login that is too old or had too
	// many codes: the password is asked again.
	ErrLoginExpired = steward.Errorf(steward.EUNAUTHORIZED, "error.login_code_expired")
	// ErrEnrolInBrowser refuses the API login to staff without a second
	// factor: they enrol on the site first.
	ErrEnrolInBrowser = steward.Errorf(steward.EFORBIDDEN, "error.enrol_second_factor_first")
)

// secondStep starts the code step of a's login, or refuses an API login of
// staff who have no second factor yet. It returns nil when the password
// alone opens the session: a person without one, or staff on the site,
// whose session then opens no staff page until they enrol.
func (s *Service) secondStep(ctx context.Context, a *account.Account, api bool) error {
	f, err := s.Store.SecondFactor(ctx, a.ID)
	if err != nil {
		return err
	}
	if !f.Enrolled() {
		if api && a.NeedsSecondFactor() {
			return ErrEnrolInBrowser
		}
		return nil
	}
	secret, id := account.NewSecret()
	c := &store.LoginChallenge{ID: id, AccountID: a.ID, CreatedAt: s.Clock.Now(), API: api}
	if err := s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.InsertLoginChallenge(ctx, c) }); err != nil {
		return err
	}
	return &CodeNeeded{Challenge: secret}
}

// codeOutcome is what a code typed in turned out to be.
type codeOutcome int

const (
	codeWrong codeOutcome = iota
	codeTOTP
	codeRecovery
	codeReplay
)

// checkCode checks a TOTP or recovery code of a in tx and spends it: the
// time step is recorded, the recovery code deleted. A TOTP code that was
// right but already used is a replay, recorded in the log (ASVS 2.8.5).
func (s *Service) checkCode(ctx context.Context, tx *store.Tx, a *account.Account, code string) (codeOutcome, error) {
	f, err := tx.SecondFactor(ctx, a.ID)
	if err != nil || !f.Enrolled() {
		return codeWrong, err
	}
	if !account.LooksLikeTOTP(code) {
		used, err := tx.UseRecoveryCode(ctx, a.ID, account.HashRecoveryCode(code))
		if err != nil || !used {
			return codeWrong, err
		}
		return codeRecovery, s.audit(ctx, tx, a, Actor(a), audit.SecondFactorRecovery)
	}
	secret, err := s.openSecret(a.ID, f.Secret)
	if err != nil {
		return codeWrong, err
	}
	step, ok := account.TOTPStep(secret, code, s.Clock.Now())
	if !ok {
		return codeWrong, nil
	}
	fresh, err := tx.AdvanceTOTPStep(ctx, a.ID, step)
	if err != nil {
		return codeWrong, err
	}
	if !fresh {
		s.Log.Warn("second factor code reused", "account", a.ID, "request_id", audit.RequestID(ctx))
		return codeReplay, s.audit(ctx, tx, a, Actor(a), audit.SecondFactorReplay)
	}
	return codeTOTP, nil
}

func (s *Service) openSecret(id, sealed string) (string, error) {
	if s.Sealer == nil {
		return "", errNoDataKey
	}
	secret, err := s.Sealer.OpenSecondFactor(id, sealed)
	if err != nil {
		return "", fmt.Errorf("second factor of %s: %w", id, err)
	}
	return secret, nil
}

var errNoDataKey = steward.Errorf(steward.EINVALID, "error.second_factor_needs_data_key")

// ChallengeAccount is the account id of the half-done login whose secret
// is challenge ("" for none), so the code step can be rate-limited per
// account before a code is tried.
func (s *Service) ChallengeAccount(ctx context.Context, challenge string) (string, error) {
	return s.Store.LoginChallengeAccount(ctx, account.HashSecret(challenge))
}

// LoginCode completes a half-done login with a TOTP or recovery code and
// opens the session (marked as opened with a second factor). The login
// lives account.ChallengeLifetime and allows account.ChallengeAttempts
// codes; after that, or once it succeeded, it is gone. A recovery code
// used is mailed to the account (ASVS 2.2.3).
func (s *Service) LoginCode(ctx context.Context, challenge, code, lang string) (secret string, se *account.Session, a *account.Account, err error) {
	id := account.HashSecret(challenge)
	var c *store.LoginChallenge
	// The attempt is counted in its own transaction, so a wrong code
	// cannot roll its count back.
	if err := s.Store.InTx(ctx, func(tx *store.Tx) (err error) {
		c, err = tx.TakeLoginAttempt(ctx, id)
		return err
	}); err != nil {
		if errors.Is(err, store.ErrNoSession) {
			return "", nil, nil, ErrLoginExpired
		}
		return "", nil, nil, err
	}
	now := s.Clock.Now()
	if now.Sub(c.CreatedAt) >= account.ChallengeLifetime || c.Attempts > account.ChallengeAttempts {
		s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteLoginChallenge(ctx, id) })
		return "", nil, nil, ErrLoginExpired
	}
	if a, err = s.Store.AccountByID(ctx, c.AccountID); err != nil {
		return "", nil, nil, err
	}
	secret, sid := account.NewSecret()
	csrf, _ := account.NewSecret()
	se = &account.Session{ID: sid, AccountID: a.ID, CreatedAt: now, LastSeen: now, AuthAt: now, CSRF: csrf, API: c.API, SecondFactor: true}
	var outcome codeOutcome
	err = s.Store.InTx(ctx, func(tx *store.Tx) (err error) {
		if outcome, err = s.checkCode(ctx, tx, a, code); err != nil || outcome == codeWrong || outcome == codeReplay {
			return err
		}
		if err := tx.DeleteLoginChallenge(ctx, id); err != nil {
			return err
		}
		if err := tx.RecordLogin(ctx, a.ID, now); err != nil {
			return err
		}
		if outcome == codeRecovery {
			if err := s.notice(ctx, tx, a, lang, "mail.recovery_code_used"); err != nil {
				return err
			}
		}
		return tx.InsertSession(ctx, se)
	})
	if err != nil {
		return "", nil, nil, fmt.Errorf("login code %s: %w", c.AccountID, err)
	}
	if outcome == codeWrong || outcome == codeReplay {
		s.Log.Info("login code refused", "account", a.ID, "request_id", audit.RequestID(ctx))
		return "", nil, nil, ErrWrongCode
	}
	if outcome == codeRecovery {
		s.notifyMail()
	}
	s.Log.Info("login", "account", a.ID, "second_factor", true, "request_id", audit.RequestID(ctx))
	return secret, se, a, nil
}

// notice mails a a notice about its second factor, with a link to the
// account's security page.
func (s *Service) notice(ctx context.Context, tx *store.Tx, a *account.Account, lang, key string) error {
	return s.enqueue(ctx, tx, a, KindSecondFactor, lang, key, s.link("/account/security", lang, nil))
}

// SecondFactorState is what the security page shows of an account's
// second factor.
type SecondFactorState struct {
	Enrolled      bool
	RecoveryCodes int // unused recovery codes
}

// SecondFactorOf returns the state of account id's second factor.
func (s *Service) SecondFactorOf(ctx context.Context, id string) (SecondFactorState, error) {
	f, err := s.Store.SecondFactor(ctx, id)
	if err != nil || !f.Enrolled() {
		return SecondFactorState{}, err
	}
	n, err := s.Store.RecoveryCodesLeft(ctx, id)
	return SecondFactorState{Enrolled: true, RecoveryCodes: n}, err
}

// BeginEnrolment makes a new TOTP secret for a and keeps it, sealed,
// until a code confirms it (ConfirmEnrolment). It is shown once: a second
// call replaces it. An account that has one already gets ECONFLICT.
func (s *Service) BeginEnrolment(ctx context.Context, a *account.Account) (*account.Enrolment, error) {
	if s.Sealer == nil {
		return nil, errNoDataKey
	}
	e, err := account.NewEnrolment(s.Policy.Site.Name, a.Email)
	if err != nil {
		return nil, err
	}
	f := &account.SecondFactor{AccountID: a.ID, Secret: s.Sealer.SealSecondFactor(a.ID, e.Secret), CreatedAt: s.Clock.Now()}
	if err := s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.PutPendingSecondFactor(ctx, f) }); err != nil {
		return nil, fmt.Errorf("begin enrolment %s: %w", a.ID, err)
	}
	return e, nil
}

// PendingEnrolment shows a's waiting TOTP secret again (its first code was
// wrong); nil when none waits.
func (s *Service) PendingEnrolment(ctx context.Context, a *account.Account) (*account.Enrolment, error) {
	f, err := s.Store.SecondFactor(ctx, a.ID)
	if err != nil || f == nil || f.Enrolled() {
		return nil, err
	}
	secret, err := s.openSecret(a.ID, f.Secret)
	if err != nil {
		return nil, err
	}
	return account.EnrolmentOf(s.Policy.Site.Name, a.Email, secret)
}

// ConfirmEnrolment enrols a's waiting TOTP secret with its first code and
// returns the recovery codes, shown once (only their hashes are kept).
// The session se proved the second factor, so it may open staff pages;
// every other session of a ends, so one opened with the password alone
// before enrolment does not gain what this one has. The account is told
// by mail (ASVS 2.2.3).
func (s *Service) ConfirmEnrolment(ctx context.Context, se *account.Session, a *account.Account, code, lang string) ([]string, error) {
	codes, hashes := account.NewRecoveryCodes()
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		f, err := tx.SecondFactor(ctx, a.ID)
		if err != nil {
			return err
		}
		if f == nil {
			return steward.Errorf(steward.EINVALID, "error.enrolment_start_again")
		}
		if f.Enrolled() {
			return steward.Errorf(steward.ECONFLICT, "error.second_factor_already_enrolled")
		}
		secret, err := s.openSecret(a.ID, f.Secret)
		if err != nil {
			return err
		}
		step, ok := account.TOTPStep(secret, code, s.Clock.Now())
		if !ok {
			return ErrWrongCode
		}
		if err := tx.EnrolSecondFactor(ctx, a.ID, s.Clock.Now(), step); err != nil {
			return err
		}
		if err := tx.PutRecoveryCodes(ctx, a.ID, hashes); err != nil {
			return err
		}
		if err := tx.MarkSecondFactor(ctx, se.ID); err != nil {
			return err
		}
		if _, err := tx.RevokeOtherSessions(ctx, a.ID, se.ID); err != nil {
			return err
		}
		if err := s.notice(ctx, tx, a, lang, "mail.second_factor_enabled"); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, Actor(a), audit.SecondFactorEnrol)
	})
	if err != nil {
		return nil, err
	}
	se.SecondFactor = true
	s.notifyMail()
	return codes, nil
}

// DisableSecondFactor turns a person's second factor off, after their
// password or a current code (TOTP or recovery). Staff cannot: they must
// have one (ASVS 4.3.1); an operator resets a lost one (ResetSecondFactor).
func (s *Service) DisableSecondFactor(ctx context.Context, a *account.Account, password, code, lang string) error {
	if a.NeedsSecondFactor() {
		return steward.Errorf(steward.EFORBIDDEN, "error.staff_keep_second_factor")
	}
	byPassword := false
	if password != "" {
		ok, _, err := s.hasher().Verify(ctx, password, a.PasswordHash)
		if err != nil {
			return err
		}
		if !ok {
			return steward.FieldError("password", "error.wrong_password")
		}
		byPassword = true
	} else if code == "" {
		return steward.FieldError("password", "error.password_or_code")
	}
	var outcome codeOutcome
	err := s.Store.InTx(ctx, func(tx *store.Tx) (err error) {
		if !byPassword {
			if outcome, err = s.checkCode(ctx, tx, a, code); err != nil || outcome == codeWrong || outcome == codeReplay {
				return err
			}
		}
		had, err := tx.DeleteSecondFactor(ctx, a.ID)
		if err != nil {
			return err
		}
		if !had {
			return steward.Errorf(steward.ENOTFOUND, "error.no_second_factor")
		}
		if err := s.notice(ctx, tx, a, lang, "mail.second_factor_disabled"); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, Actor(a), audit.SecondFactorDisable)
	})
	if err == nil && !byPassword && (outcome == codeWrong || outcome == codeReplay) {
		return ErrWrongCode
	}
	if err != nil {
		return err
	}
	s.notifyMail()
	return nil
}

// ResetSecondFactor clears the second factor of a (a lost device): its
// secret, recovery codes and half-done logins go, every session ends, and
// the next login enrols again. actor is who did it; the account is told
// by mail (ASVS 2.2.3, 2.5.7). An account without one is ENOTFOUND.
func (s *Service) ResetSecondFactor(ctx context.Context, actor audit.Actor, a *account.Account, lang string) error {
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		had, err := tx.DeleteSecondFactor(ctx, a.ID)
		if err != nil {
			return err
		}
		if !had {
			return steward.Errorf(steward.ENOTFOUND, "error.no_second_factor")
		}
		if _, err := tx.RevokeSessions(ctx, a.ID); err != nil {
			return err
		}
		if err := s.notice(ctx, tx, a, lang, "mail.second_factor_reset"); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, actor, audit.SecondFactorReset)
	})
	if err != nil {
		return err
	}
	s.notifyMail()
	return nil
}
