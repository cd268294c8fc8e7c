package service

import (
	"context"
	"fmt"
	"time"

	"steward"
	"steward/account"
	"steward/audit"
	"steward/store"
)

// Login checks an e-mail address and password and opens a new session;
// api marks a bearer-token session of the JSON API. It returns the
// session's secret, which only the client keeps. An unknown address costs
// one hash too, so it answers in the same time. An account with a second
// factor gets no session here but a *CodeNeeded error holding the
// half-done login that LoginCode completes; staff without one get a
// session that opens no staff page until they enrol, and no API session
// (ErrEnrolInBrowser).
func (s *Service) Login(ctx context.Context, email, password string, api bool) (secret string, se *account.Session, a *account.Account, err error) {
	a, err = s.Store.AccountByEmail(ctx, email)
	if err != nil {
		if steward.ErrorCode(err) != steward.ENOTFOUND {
			return "", nil, nil, err
		}
		if err := s.hasher().Burn(ctx, password); err != nil {
			return "", nil, nil, err
		}
		return "", nil, nil, ErrLoginFailed
	}
	if a.PasswordHash == "" {
		if err := s.hasher().Burn(ctx, password); err != nil {
			return "", nil, nil, err
		}
		return "", nil, nil, ErrLoginFailed
	}
	ok, rehash, err := s.hasher().Verify(ctx, password, a.PasswordHash)
	if err != nil {
		return "", nil, nil, fmt.Errorf("login %s: %w", a.ID, err)
	}
	if !ok {
		// The id only (ASVS 7.1.x): which account was tried, never the
		// address or password typed.
		s.Log.Info("login failed", "account", a.ID, "request_id", audit.RequestID(ctx))
		return "", nil, nil, ErrLoginFailed
	}
	if !a.Confirmed() {
		return "", nil, nil, ErrNotConfirmed
	}
	if err := s.secondStep(ctx, a, api); err != nil {
		return "", nil, a, err
	}
	now := s.Clock.Now()
	secret, id := account.NewSecret()
	csrf, _ := account.NewSecret()
	se = &account.Session{ID: id, AccountID: a.ID, CreatedAt: now, LastSeen: now, AuthAt: now, CSRF: csrf, API: api}
	// Parameters were raised since this hash was made: upgrade it now
	// that the password is at hand — hashed before the transaction, so
	// the write lock is never held for a hash.
	var upgraded string
	if rehash {
		if upgraded, err = s.hasher().Hash(ctx, password); err != nil {
			return "", nil, nil, err
		}
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if upgraded != "" {
			if err := tx.SetPasswordHash(ctx, a.ID, upgraded); err != nil {
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
	s.Log.Info("login", "account", a.ID, "request_id", audit.RequestID(ctx))
	return secret, se, a, nil
}

// touchEvery bounds how often a session's last_seen is written: once a
// minute is precise enough for a 30-minute idle timeout and keeps reads
// from becoming writes.
const touchEvery = time.Minute

// Authenticate returns the session whose secret a request carries and its
// person; bearer says the secret came as an API token rather than the
// cookie. An unknown secret, a session that timed out (which is deleted,
// R11) or one of the other kind gives nil, nil: the visitor is anonymous.
func (s *Service) Authenticate(ctx context.Context, secret string, bearer bool) (*account.Session, *account.Account, error) {
	se, err := s.Store.SessionByID(ctx, account.HashSecret(secret))
	if err != nil {
		if steward.ErrorCode(err) == steward.EUNAUTHORIZED {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	now := s.Clock.Now()
	if se.Expired(now) {
		// Not audited, like the background pruning of expired sessions:
		// nobody acted. A failure to delete leaves it to that pruning.
		s.Store.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.DeleteSession(ctx, se.ID)
			return err
		})
		return nil, nil, nil
	}
	if se.API != bearer {
		return nil, nil, nil
	}
	a, err := s.Store.AccountByID(ctx, se.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(se.LastSeen) >= touchEvery {
		if err := s.Store.TouchSession(ctx, se, now); err != nil {
			return nil, nil, err
		}
		se.LastSeen = now
	}
	return se, a, nil
}

// Logout ends session se of a, at the person's request, and records it
// (R12: who ended which session is in the log; the session id is not,
// since its hash is the login secret's).
func (s *Service) Logout(ctx context.Context, se *account.Session, a *account.Account) error {
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		ended, err := tx.DeleteSession(ctx, se.ID)
		if err != nil || !ended {
			return err
		}
		return s.audit(ctx, tx, a, Actor(a), audit.SessionLogout)
	})
	if err != nil {
		return fmt.Errorf("logout %s: %w", a.ID, err)
	}
	return nil
}

// RevokeSessions ends every session of a person, by themselves or staff,
// and returns how many there were.
func (s *Service) RevokeSessions(ctx context.Context, actor audit.Actor, subject *account.Account) (int64, error) {
	var n int64
	err := s.Store.InTx(ctx, func(tx *store.Tx) (err error) {
		if n, err = tx.RevokeSessions(ctx, subject.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, subject, actor, audit.SessionRevoke)
	})
	return n, err
}

// CountSessions is the number of open sessions of account id.
func (s *Service) CountSessions(ctx context.Context, id string) (int, error) {
	return s.Store.CountSessions(ctx, id)
}
