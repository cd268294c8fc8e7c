package lms

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/erasure"
	"steward/policy"
	"steward/store"
)

// Kind is the record kind the LMS holds a copy of: the first kind the
// policy declares that erasure.Remote names (IVM: lms_account); "" when
// the policy has none, and nothing is ever told.
func Kind(p *policy.Policy) string {
	for i := range p.Records {
		if k := p.Records[i].ID; erasure.Remote(p, k) {
			return k
		}
	}
	return ""
}

// TellCorrection writes, in the correction's transaction tx, an update to
// the LMS for the changed "record.field" names of accountID's profile
// (the person's own edit, or staff's rectification for requestID): the
// LMS kind's held fields, and the account kind's held fields the LMS kind
// has no value of its own for (the LMS then got the account's value, see
// Values). Nothing is written for a person without an LMS account record,
// nor for fields the LMS does not hold. It returns the fields told.
func TellCorrection(ctx context.Context, tx *store.Tx, p *policy.Policy, accountID, requestID string, changed []string, at time.Time) ([]string, error) {
	kind := Kind(p)
	if kind == "" || len(changed) == 0 {
		return nil, nil
	}
	own, err := tx.Profile(ctx, accountID, kind)
	if err != nil {
		return nil, err
	}
	rec := p.Record(kind)
	var fields []string
	for _, c := range changed {
		r, f, ok := strings.Cut(c, ".")
		if !ok || !IsHeld(f) || rec.Field(f) == nil {
			continue
		}
		switch {
		case r == kind:
			fields = append(fields, f)
		case r == "account" && own[f] == "":
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		return nil, nil
	}
	id, err := tx.RecordOfKind(ctx, accountID, kind)
	if err != nil || id == 0 {
		return nil, err
	}
	slices.Sort(fields)
	fields = slices.Compact(fields)
	if _, err := tx.EnqueueLMSUpdate(ctx, fmt.Sprint(id), accountID, requestID, fields, at); err != nil {
		return nil, err
	}
	return fields, nil
}

// Opener opens a sealed value of a sensitive field (R3); the account
// service's Open.
type Opener func(accountID, record, field, sealed string) (string, error)

// ProfileValues reads, at send time, the values an update names: the LMS
// kind's own profile value, or else the account's (the address the
// person logs in with, their name). A sensitive value is opened only
// here, for this one release (R3).
type ProfileValues struct {
	Policy *policy.Policy
	Store  *store.Store
	Open   Opener
}

// EnrolmentCourse returns the LMS course id of enrolment record recordID
// of accountID, read when its enrol row is sent; ok is false when the
// account, its LMS account lmsSubject or the enrolment is gone (erased,
// deleted by a rule, anonymised), and nothing is sent.
func (v *ProfileValues) EnrolmentCourse(ctx context.Context, accountID, lmsSubject string, recordID int64) (string, bool, error) {
	lmsRecord, err := strconv.ParseInt(lmsSubject, 10, 64)
	if err != nil || accountID == "" {
		return "", false, nil
	}
	return v.Store.LMSEnrolmentCourse(ctx, accountID, lmsRecord, recordID, EnrolmentCourseField)
}

// EnrolmentCourseField is the enrolment kind's field that names the
// course (learning/service.EnrolTx stores the course's slug in it).
const EnrolmentCourseField = "course"

// errNoKey means a sensitive field must be sent but no data key is
// configured.
var errNoKey = fmt.Errorf("lms: a sensitive field must be sent but no data key is configured")

// Values returns fields of accountID by field id; ok is false when the
// account no longer exists (nothing left to correct).
func (v *ProfileValues) Values(ctx context.Context, accountID string, fields []string) (map[string]string, bool, error) {
	a, err := v.Store.AccountByID(ctx, accountID)
	if steward.ErrorCode(err) == steward.ENOTFOUND || err == nil && a.Email == "" {
		return nil, false, nil // erased, or anonymised (Z9)
	}
	if err != nil {
		return nil, false, err
	}
	kind := Kind(v.Policy)
	own, err := v.Store.Profile(ctx, accountID, kind)
	if err != nil {
		return nil, false, err
	}
	acct, err := v.Store.Profile(ctx, accountID, "account")
	if err != nil {
		return nil, false, err
	}
	out := map[string]string{}
	for _, f := range fields {
		val, rec := own[f], kind
		if val == "" {
			val, rec = acct[f], "account"
			if f == "email" && val == "" {
				val = a.Email
			}
		}
		if val == "" {
			continue // Moodle requires these; an empty value is not sent
		}
		if fd := v.Policy.Record(rec).Field(f); fd != nil && fd.Sensitive {
			if v.Open == nil {
				return nil, true, errNoKey
			}
			if val, err = v.Open(accountID, rec, f, val); err != nil {
				return nil, true, err
			}
		}
		out[f] = val
	}
	return out, true, nil
}
