// Package lms tells the learning environment (IVM's Moodle, run by the
// processor Avetica) what Steward changed about a person it holds (issue
// 16 item 5; Art. 17(2) and Art. 19 GDPR): an account erased — by the
// person, a completed request or a retention rule — is deleted there too,
// and a corrected profile field the LMS holds is corrected there too.
// Every enrolment — free, by voucher or by order — is provisioned there
// the same way (issue 17 item 4, R8): the Moodle user is made when Moodle
// has none for the person's OIDC subject, then enrolled in the course.
//
// The change writes a row into the LMS outbox (store/lms_outbox.go) in its
// own transaction; the Dispatcher here delivers due rows through Moodle's
// REST web service with retries and exponential back-off, like mail, and
// records the LMS's confirmation with an audit entry (ids and field names
// only). The LMS knows a person by the OIDC subject Steward gave it (the
// id of their lms_account record); Moodle is asked at send time which of
// its users that is (core_user_get_users_by_field). An update's values are
// read from the profile at send time, so the outbox never holds one.
//
// The calling convention followed (docs/lms.md):
//   - Moodle Developer Docs, "Web services" / "Web service API functions":
//     POST https://SITE/webservice/rest/server.php with wstoken, wsfunction
//     and moodlewsrestformat=json; array parameters form-encoded as
//     userids[0]=5, users[0][id]=5, users[0][customfields][0][type]=…;
//   - an exception is returned with HTTP 200 as the JSON object
//     {"exception": …, "errorcode": …, "message": …} (webservice/rest/
//     locallib.php, webservice_rest_server::generate_error);
//   - core_user_get_users_by_field (field id|idnumber|username|email,
//     values[]) returns an array of users, without deleted ones;
//     core_user_delete_users (userids[]) returns null and fails with
//     errorcode invalidrecord for a user already deleted;
//     core_user_update_users (users[]) returns null, or {"warnings": [...]}
//     on newer versions, and skips a deleted user (user/externallib.php);
//     core_user_create_users (users[] with username, auth, firstname,
//     lastname, email, idnumber; no password for an auth plugin that is
//     not internal, such as oauth2) returns [{"id": …, "username": …}] and
//     fails the whole call with invalid_parameter_exception for a
//     username or e-mail address in use (user/externallib.php,
//     core_user_external::create_users);
//   - enrol_manual_enrol_users (enrolments[] of roleid, userid, courseid;
//     optional timestart, timeend, suspend) returns null; a course that
//     does not exist fails with invalid_parameter_exception, a role the
//     token's user may not assign with wsusercannotassign, a course
//     without a manual enrolment instance with wsnoinstance; enrolling a
//     user enrolled already updates the enrolment (enrol/manual/
//     externallib.php, enrol_manual_external::enrol_users).
package lms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is the LMS web service's configuration: from the operator's
// environment or flags, never the database or a log line.
type Config struct {
	// URL is the Moodle site's base address (https://moodle.example.org);
	// the REST endpoint is URL + "/webservice/rest/server.php". Empty: no
	// LMS is configured and messages wait in the outbox.
	URL string
	// Token is the web service token of a Moodle user allowed the five
	// functions (moodle/user:delete, moodle/user:update,
	// moodle/user:viewdetails, moodle/user:create, and enrol/manual:enrol
	// with the student role assignable in the courses).
	Token string
	// MatchField is the Moodle user field that holds the OIDC subject:
	// idnumber (default) or username, as the OAuth 2 issuer's field
	// mapping in Moodle stores the "sub" claim.
	MatchField string
	// RegisterField is the shortname of the Moodle custom profile field
	// that holds the register/BIG number; default register_number.
	RegisterField string
	// StudentRole is the Moodle role id an enrolment assigns; default 5,
	// the student role of a standard Moodle installation.
	StudentRole int64
	// Timeout bounds one HTTP call; default 20 seconds.
	Timeout time.Duration
}

// Enabled reports whether an LMS is configured.
func (c Config) Enabled() bool { return c.URL != "" }

// Endpoint is the REST server's address.
func (c Config) Endpoint() string {
	return strings.TrimRight(c.URL, "/") + "/webservice/rest/server.php"
}

// Check refuses a configuration that cannot work; the token never shows
// in the error.
func (c Config) Check() error {
	if !c.Enabled() {
		return nil
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("lms: the LMS URL must be an http(s) address")
	}
	if c.Token == "" {
		return fmt.Errorf("lms: an LMS URL is set but no web service token")
	}
	switch c.matchField() {
	case "idnumber", "username":
	default:
		return fmt.Errorf("lms: the match field must be idnumber or username")
	}
	if c.StudentRole < 0 {
		return fmt.Errorf("lms: the student role must be a Moodle role id")
	}
	return nil
}

func (c Config) studentRole() int64 {
	if c.StudentRole == 0 {
		return 5
	}
	return c.StudentRole
}

func (c Config) matchField() string {
	if c.MatchField == "" {
		return "idnumber"
	}
	return c.MatchField
}

func (c Config) registerField() string {
	if c.RegisterField == "" {
		return "register_number"
	}
	return c.RegisterField
}

// Error is Moodle's error object: an exception class, an error code and a
// message (which may name a value, so only the code is kept).
type Error struct {
	Exception string `json:"exception"`
	ErrorCode string `json:"errorcode"`
	Message   string `json:"message"`
}

func (e *Error) Error() string { return "moodle: " + e.Exception + ": " + e.ErrorCode }

// Permanent reports whether retrying cannot help: the call itself is
// wrong. A bad token or a function not allowed is the operator's to fix:
// those are retried until MaxAttempts.
func (e *Error) Permanent() bool {
	return e.ErrorCode == "invalidparameter" || e.Exception == "invalid_parameter_exception"
}

// Client calls Moodle's REST web service.
type Client struct {
	cfg  Config
	http *http.Client
}

// NewClient returns a client for cfg; nil when no LMS is configured.
func NewClient(cfg Config, hc *http.Client) *Client {
	if !cfg.Enabled() {
		return nil
	}
	if hc == nil {
		t := cfg.Timeout
		if t == 0 {
			t = 20 * time.Second
		}
		hc = &http.Client{Timeout: t}
	}
	return &Client{cfg: cfg, http: hc}
}

// call posts one web service function and returns its JSON result, or
// the Moodle error it returned (with HTTP 200, as Moodle does).
func (c *Client) call(ctx context.Context, fn string, params url.Values) (json.RawMessage, error) {
	form := url.Values{}
	for k, v := range params {
		form[k] = v
	}
	form.Set("wstoken", c.cfg.Token)
	form.Set("wsfunction", fn)
	form.Set("moodlewsrestformat", "json")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.Endpoint(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("moodle %s: %w", fn, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL's error text carries the endpoint, never the token: the
		// token travels in the body.
		return nil, fmt.Errorf("moodle %s: %w", fn, unwrapURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("moodle %s: %w", fn, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("moodle %s: HTTP %d", fn, resp.StatusCode)
	}
	raw := json.RawMessage(strings.TrimSpace(string(body)))
	if len(raw) > 0 && raw[0] == '{' {
		var e Error
		if json.Unmarshal(raw, &e) == nil && e.Exception != "" {
			return nil, &e
		}
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("moodle %s: the answer is not JSON", fn)
	}
	return raw, nil
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Lookup returns the Moodle user id of the person Steward knows as the
// OIDC subject sub; found is false when Moodle has no such user (they
// never signed in to the LMS, or were deleted there already).
func (c *Client) Lookup(ctx context.Context, sub string) (id int64, found bool, err error) {
	raw, err := c.call(ctx, "core_user_get_users_by_field", url.Values{
		"field": {c.cfg.matchField()}, "values[0]": {sub},
	})
	if err != nil {
		return 0, false, err
	}
	var users []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(raw, &users); err != nil {
		return 0, false, fmt.Errorf("moodle core_user_get_users_by_field: unexpected answer")
	}
	switch len(users) {
	case 0:
		return 0, false, nil
	case 1:
		return users[0].ID, true, nil
	}
	return 0, false, fmt.Errorf("moodle core_user_get_users_by_field: %d users share one subject", len(users))
}

// Delete deletes Moodle user id. A user Moodle no longer has
// (errorcode invalidrecord: deleted meanwhile) counts as deleted.
func (c *Client) Delete(ctx context.Context, id int64) error {
	_, err := c.call(ctx, "core_user_delete_users", url.Values{"userids[0]": {strconv.FormatInt(id, 10)}})
	var me *Error
	if errors.As(err, &me) && me.ErrorCode == "invalidrecord" {
		return nil
	}
	return err
}

// Update sets fields of Moodle user id: vals by Steward field id (email,
// first_name, last_name, register_number), mapped to Moodle's fields.
func (c *Client) Update(ctx context.Context, id int64, vals map[string]string) error {
	p := url.Values{"users[0][id]": {strconv.FormatInt(id, 10)}}
	custom := 0
	for _, f := range Held {
		v, ok := vals[f.ID]
		if !ok {
			continue
		}
		if f.Moodle != "" {
			p.Set("users[0]["+f.Moodle+"]", v)
			continue
		}
		p.Set(fmt.Sprintf("users[0][customfields][%d][type]", custom), c.cfg.registerField())
		p.Set(fmt.Sprintf("users[0][customfields][%d][value]", custom), v)
		custom++
	}
	raw, err := c.call(ctx, "core_user_update_users", p)
	if err != nil {
		return err
	}
	var res struct {
		Warnings []struct {
			WarningCode string `json:"warningcode"`
		} `json:"warnings"`
	}
	if string(raw) != "null" && json.Unmarshal(raw, &res) == nil && len(res.Warnings) > 0 {
		return fmt.Errorf("moodle core_user_update_users: warning %s", res.Warnings[0].WarningCode)
	}
	return nil
}

// CreateFields are the values core_user_create_users requires (Moodle
// refuses a blank username, first name or last name and needs a valid
// e-mail address): the only ones a new user is given. The register number
// is not sent: the LMS receives it as a claim at sign-in, if at all.
var CreateFields = []string{"email", "first_name", "last_name"}

// errMissing means a value Moodle requires to create the user is not in
// the profile yet; retried, as the person may still give it.
type errMissing string

func (e errMissing) Error() string { return "lms: no " + string(e) + " to create the LMS user with" }

// Create makes the Moodle user for OIDC subject sub with vals (by
// Steward field id, CreateFields) and returns its id. It signs in with
// Moodle's OAuth 2 plugin (auth oauth2: no password), and holds the
// subject in the match field — idnumber, with username steward-<sub>, or
// the username itself — so Lookup finds it and Moodle's OAuth 2 sign-in
// links to it.
func (c *Client) Create(ctx context.Context, sub string, vals map[string]string) (int64, error) {
	p := url.Values{"users[0][auth]": {"oauth2"}}
	if c.cfg.matchField() == "username" {
		p.Set("users[0][username]", sub)
	} else {
		p.Set("users[0][username]", "steward-"+sub)
		p.Set("users[0][idnumber]", sub)
	}
	for _, f := range Held {
		if f.Moodle == "" || !slices.Contains(CreateFields, f.ID) {
			continue
		}
		if vals[f.ID] == "" {
			return 0, errMissing(f.ID)
		}
		p.Set("users[0]["+f.Moodle+"]", vals[f.ID])
	}
	raw, err := c.call(ctx, "core_user_create_users", p)
	if err != nil {
		return 0, err
	}
	var users []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(raw, &users); err != nil || len(users) != 1 || users[0].ID <= 0 {
		return 0, fmt.Errorf("moodle core_user_create_users: unexpected answer")
	}
	return users[0].ID, nil
}

// errNoCourse means the enrolment's course has no LMS course id (or one
// that is not Moodle's number) in the catalogue; retried, as staff may
// still import it.
var errNoCourse = errors.New("lms: the course has no LMS course id")

// Enrol enrols Moodle user id in Moodle course courseID with the student
// role (enrol_manual_enrol_users, which answers null). Enrolling a user
// enrolled already changes nothing, so sending twice is harmless.
func (c *Client) Enrol(ctx context.Context, id int64, courseID string) error {
	course, err := strconv.ParseInt(courseID, 10, 64)
	if err != nil || course <= 0 {
		return errNoCourse
	}
	_, err = c.call(ctx, "enrol_manual_enrol_users", url.Values{
		"enrolments[0][roleid]":   {strconv.FormatInt(c.cfg.studentRole(), 10)},
		"enrolments[0][userid]":   {strconv.FormatInt(id, 10)},
		"enrolments[0][courseid]": {strconv.FormatInt(course, 10)},
	})
	return err
}

// HeldField is a field of the lms_account kind the LMS holds, and its
// Moodle user field ("" for the custom profile field of the register
// number).
type HeldField struct {
	ID     string
	Moodle string
}

// Held are the fields Steward releases to the LMS (the OIDC claims of
// issue 16 item 3) and so corrects there: a correction of any other field
// (confirmed_at, last_login) concerns nothing the LMS holds.
var Held = []HeldField{
	{ID: "email", Moodle: "email"},
	{ID: "first_name", Moodle: "firstname"},
	{ID: "last_name", Moodle: "lastname"},
	{ID: "register_number"},
}

// IsHeld reports whether the LMS holds field.
func IsHeld(field string) bool {
	for _, f := range Held {
		if f.ID == field {
			return true
		}
	}
	return false
}
