package service

import (
	"context"

	"steward"
	"steward/account"
	"steward/career"
	"steward/catalogue"
)

// The profile field the basic questions' answers are kept in, when the
// policy declares it (issue 18 item 3): the profile's work preferences.
const (
	PreferencesRecord = "profile"
	PreferencesField  = "work_preferences"
)

// PreferencesAllowed reports whether an account holder may keep their
// answers: the policy declares the work preferences as a field the person
// fills in, with at least one purpose.
func (s *Service) PreferencesAllowed() bool {
	if s.Questions == nil {
		return false
	}
	rec := s.Policy.Record(PreferencesRecord)
	if rec == nil {
		return false
	}
	f := rec.Field(PreferencesField)
	return f != nil && account.Input(f) && len(f.Purposes) > 0
}

// CheckAnswers checks answers against the site's questions.
func (s *Service) CheckAnswers(in map[string]string) (career.Answers, error) {
	if s.Questions == nil {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.not_found")
	}
	return s.Questions.Check(in)
}

// KeepAnswers stores answers as acct's work preferences, in the words of
// lang, through the person's own profile edit (validated against the
// field, audited as profile.update). Without the field in the policy it
// stores nothing and says so.
func (s *Service) KeepAnswers(ctx context.Context, acct *account.Account, a career.Answers, lang string) error {
	if !s.PreferencesAllowed() {
		return steward.Errorf(steward.EFORBIDDEN, "error.preferences_not_declared")
	}
	if acct.IsStaff() {
		return steward.Errorf(steward.EFORBIDDEN, "error.staff_do_not_save")
	}
	text := s.Questions.Preferences(a, lang)
	_, err := s.Profiles.UpdateProfile(ctx, acct, map[string]map[string]string{PreferencesRecord: {PreferencesField: text}})
	return err
}

// StoredAnswers reads acct's answers back from their work preferences.
func (s *Service) StoredAnswers(ctx context.Context, acct *account.Account) (career.Answers, error) {
	if !s.PreferencesAllowed() {
		return career.Answers{}, nil
	}
	vals, err := s.Store.Profile(ctx, acct.ID, PreferencesRecord)
	if err != nil {
		return nil, err
	}
	return s.Questions.FromPreferences(vals[PreferencesField]), nil
}

// KeepVisit keeps what a visitor saved and answered in their session in
// acct, the one click after logging in: the saved items as records, the
// answers as work preferences where the policy allows it. It returns how
// many items were kept.
func (s *Service) KeepVisit(ctx context.Context, acct *account.Account, v career.Visit, lang string) (int, error) {
	n, err := s.Keep(ctx, acct, v.Saved)
	if err != nil {
		return n, err
	}
	if len(v.Answers) > 0 && s.PreferencesAllowed() && !acct.IsStaff() {
		a, err := s.Questions.Check(v.Answers)
		if err == nil && len(a) > 0 {
			if err := s.KeepAnswers(ctx, acct, a, lang); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// SuitsLimit is how many functies and how many opleidingen "what suits
// you" lists.
const SuitsLimit = 10

// Suits ranks the offered functies and opleidingen by the answers, best
// first (career.Questionnaire.Rank). It reads the whole catalogue once: a
// few hundred items on Zorginspirator.
func (s *Service) Suits(ctx context.Context, a career.Answers) (jobs, courses []catalogue.Item, err error) {
	if s.Questions == nil || len(a) == 0 {
		return nil, nil, nil
	}
	all, err := s.Store.CatalogueAll(ctx)
	if err != nil {
		return nil, nil, err
	}
	return s.Questions.Rank(all, catalogue.Job, a, SuitsLimit), s.Questions.Rank(all, catalogue.Course, a, SuitsLimit), nil
}
