// Package xapi reads the learning results a learning environment reports
// as Experience API (xAPI) 1.0.3 statements (issue 16 item 4, R8) —
// https://github.com/adlnet/xAPI-Spec/blob/1.0.3/xAPI-Data.md and
// xAPI-Communication.md, the Statements resource. It accepts the subset
// Steward needs and refuses the rest with a clear error (G3): the actor
// is an Agent identified by an account whose homePage is Steward's
// issuer and whose name is the person's LMS account record id (the OIDC
// subject, never an e-mail address); the verb is one of completed,
// passed, failed, scored (ADL verb IRIs); the object is an activity whose
// id names a course; the result's score, success and completion. It is
// pure: xapi/service stores what a statement says.
package xapi

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"steward"
)

// The verbs Steward accepts (ADL vocabulary, http://adlnet.gov/expapi/verbs/).
const (
	VerbCompleted = "http://adlnet.gov/expapi/verbs/completed"
	VerbPassed    = "http://adlnet.gov/expapi/verbs/passed"
	VerbFailed    = "http://adlnet.gov/expapi/verbs/failed"
	VerbScored    = "http://adlnet.gov/expapi/verbs/scored"
)

// Verbs maps an accepted verb IRI to its short name.
var Verbs = map[string]string{VerbCompleted: "completed", VerbPassed: "passed", VerbFailed: "failed", VerbScored: "scored"}

// Version is the xAPI version Steward answers with.
const Version = "1.0.3"

var versionRE = regexp.MustCompile(`^1\.0(\.[0-9]+)?$`)

// CheckVersion checks the X-Experience-API-Version header: required, and
// 1.0.x (xAPI-Communication 6.2).
func CheckVersion(h string) error {
	if h == "" {
		return steward.Errorf(steward.EINVALID, "error.xapi_version_missing")
	}
	if !versionRE.MatchString(h) {
		return steward.Errorf(steward.EINVALID, "error.xapi_version", "version", h)
	}
	return nil
}

// Statement is an accepted statement, reduced to what Steward reads.
type Statement struct {
	ID string
	// Account is the actor's account: HomePage (Steward's issuer) and
	// Name (the LMS account record id).
	HomePage, Name string
	// Verb is the short name (completed, passed, failed, scored).
	Verb     string
	Activity string
	// Score is 0–100, HasScore when the result gave one.
	Score    int
	HasScore bool
	// Success and Completion are the result's, nil when absent.
	Success, Completion *bool
	// Timestamp is when it happened; zero when the statement gave none.
	Timestamp time.Time
}

// Passed reports whether the statement says the course was passed: the
// passed verb, or completed with a successful result.
func (s *Statement) Passed() bool {
	return s.Verb == "passed" || s.Verb == "completed" && s.Success != nil && *s.Success
}

// Hash is the SHA-256 of the statement's substance, which decides whether
// a statement sent again with its id is the same one (xAPI: same id,
// other content is a conflict).
//
// The bytes hashed are those json.Marshal gives for the struct
// {ID, HomePage, Name, Verb, Activity string; Score int; HasScore bool;
// Success, Completion *bool; Timestamp int64 (Unix milliseconds)}, in
// that order — what every stored content_hash was computed from — but
// written directly instead of through reflection (issue 16: a tenth of
// gathering a statement). TestHashIsJSONMarshals compares the two.
func (s *Statement) Hash() string {
	b := make([]byte, 0, 256)
	b = append(b, `{"ID":`...)
	b = appendJSONString(b, s.ID)
	b = append(b, `,"HomePage":`...)
	b = appendJSONString(b, s.HomePage)
	b = append(b, `,"Name":`...)
	b = appendJSONString(b, s.Name)
	b = append(b, `,"Verb":`...)
	b = appendJSONString(b, s.Verb)
	b = append(b, `,"Activity":`...)
	b = appendJSONString(b, s.Activity)
	b = append(b, `,"Score":`...)
	b = strconv.AppendInt(b, int64(s.Score), 10)
	b = append(b, `,"HasScore":`...)
	b = strconv.AppendBool(b, s.HasScore)
	b = append(b, `,"Success":`...)
	b = appendJSONBool(b, s.Success)
	b = append(b, `,"Completion":`...)
	b = appendJSONBool(b, s.Completion)
	b = append(b, `,"Timestamp":`...)
	b = strconv.AppendInt(b, s.Timestamp.UnixMilli(), 10)
	b = append(b, '}')
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// appendJSONString appends v as json.Marshal writes a string: printable
// ASCII other than the quote, the backslash and the three characters it
// escapes for HTML (<, >, &) as they are; anything else through
// json.Marshal itself, so every escape is its own.
func appendJSONString(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(v)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}

// appendJSONBool appends a *bool as json.Marshal does: null for nil.
func appendJSONBool(b []byte, v *bool) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendBool(b, *v)
}

// The JSON a statement may carry (xAPI-Data 2.2). Properties Steward does
// not read are taken as raw JSON, so they are allowed but not kept;
// properties the specification does not define are refused.
type wireStatement struct {
	ID          *string         `json:"id"`
	Actor       *wireActor      `json:"actor"`
	Verb        *wireVerb       `json:"verb"`
	Object      *wireObject     `json:"object"`
	Result      *wireResult     `json:"result"`
	Context     json.RawMessage `json:"context"`
	Timestamp   *string         `json:"timestamp"`
	Stored      json.RawMessage `json:"stored"`
	Authority   json.RawMessage `json:"authority"`
	Version     json.RawMessage `json:"version"`
	Attachments json.RawMessage `json:"attachments"`
}

type wireActor struct {
	ObjectType string          `json:"objectType"`
	Name       json.RawMessage `json:"name"`
	Mbox       json.RawMessage `json:"mbox"`
	MboxSHA1   json.RawMessage `json:"mbox_sha1sum"`
	OpenID     json.RawMessage `json:"openid"`
	Account    *wireAccount    `json:"account"`
	Member     json.RawMessage `json:"member"`
}

type wireAccount struct {
	HomePage string `json:"homePage"`
	Name     string `json:"name"`
}

type wireVerb struct {
	ID      string          `json:"id"`
	Display json.RawMessage `json:"display"`
}

type wireObject struct {
	ObjectType string          `json:"objectType"`
	ID         string          `json:"id"`
	Definition json.RawMessage `json:"definition"`
}

type wireResult struct {
	Score      *wireScore      `json:"score"`
	Success    *bool           `json:"success"`
	Completion *bool           `json:"completion"`
	Response   json.RawMessage `json:"response"`
	Duration   json.RawMessage `json:"duration"`
	Extensions json.RawMessage `json:"extensions"`
}

type wireScore struct {
	Scaled *float64 `json:"scaled"`
	Raw    *float64 `json:"raw"`
	Min    *float64 `json:"min"`
	Max    *float64 `json:"max"`
}

// ValidID reports whether id is a UUID (xAPI-Data 2.4.1), in any case:
// 8-4-4-4-12 hexadecimal digits. Checked by hand, not by a regular
// expression (issue 16: the match was a sixth of reading a statement).
func ValidID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// NewID returns a random (version 4) UUID for a statement sent without one.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Parse reads a request body: one statement or an array of them. A
// statement without an id gets a new one when newIDs is true (POST);
// a PUT names its id in the query instead. Any statement that is not
// well-formed fails the whole body, naming its index.
func Parse(body []byte, newIDs bool) ([]Statement, error) {
	body = bytes.TrimSpace(body)
	if ws, ok := decodeFast(body); ok {
		if sts, ok := statementsOf(ws, newIDs); ok {
			return sts, nil
		}
	}
	if sts, ok := parseArray(body, newIDs); ok {
		return sts, nil
	}
	var raws []json.RawMessage
	switch {
	case len(body) == 0:
		return nil, steward.Errorf(steward.EINVALID, "error.request_body_is_empty")
	case body[0] == '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.xapi_malformed", "index", 0, "reason", jsonReason(err))
		}
		if len(raws) == 0 {
			return nil, steward.Errorf(steward.EINVALID, "error.xapi_empty_batch")
		}
	default:
		raws = []json.RawMessage{body}
	}
	if len(raws) > MaxBatch {
		return nil, steward.Errorf(steward.EINVALID, "error.xapi_batch_too_large", "max", MaxBatch)
	}
	out := make([]Statement, 0, len(raws))
	seen := map[string]int{}
	for i, raw := range raws {
		st, err := parseOne(raw, newIDs)
		if err == nil {
			err = checkDuplicate(out, seen, st)
		}
		if err != nil {
			var se *steward.Error
			if errors.As(err, &se) {
				se.Args = append(se.Args, "index", i)
			}
			return nil, err
		}
		seen[st.ID] = len(out)
		out = append(out, st)
	}
	return out, nil
}

// checkDuplicate refuses a statement whose id an earlier one of the same
// body has, with other content.
func checkDuplicate(before []Statement, seen map[string]int, st Statement) error {
	if j, ok := seen[st.ID]; ok && before[j].Hash() != st.Hash() {
		return steward.Errorf(steward.EINVALID, "error.xapi_duplicate_id", "id", st.ID)
	}
	return nil
}

// parseArray is Parse's one pass for an array that is well-formed
// throughout: decoded in one go instead of split into raw statements and
// each decoded again (a quarter of a batch's CPU in this process: issue
// 16). It says false for anything else — not an array, an error
// anywhere, too many statements — and Parse then reads the body
// statement by statement, so an error is told exactly as before, with
// its statement's index.
func parseArray(body []byte, newIDs bool) ([]Statement, bool) {
	if len(body) == 0 || body[0] != '[' {
		return nil, false
	}
	var ws []wireStatement
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ws); err != nil || dec.InputOffset() != int64(len(body)) || len(ws) == 0 || len(ws) > MaxBatch {
		return nil, false
	}
	return statementsOf(ws, newIDs)
}

// statementsOf checks decoded statements; false if any fails, for Parse
// to read the body again statement by statement and tell the error.
func statementsOf(ws []wireStatement, newIDs bool) ([]Statement, bool) {
	out := make([]Statement, 0, len(ws))
	seen := make(map[string]int, len(ws))
	for i := range ws {
		st, err := statementOf(&ws[i], newIDs)
		if err == nil {
			err = checkDuplicate(out, seen, st)
		}
		if err != nil {
			return nil, false
		}
		seen[st.ID] = len(out)
		out = append(out, st)
	}
	return out, true
}

// MaxBatch bounds the statements of one request (one transaction).
const MaxBatch = 1000

func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s has the wrong type", te.Field)
	default:
		// The decoder's own words name the property, never a value.
		return strings.TrimPrefix(err.Error(), "json: ")
	}
}

func malformed(reason string) error {
	return steward.Errorf(steward.EINVALID, "error.xapi_malformed", "reason", reason)
}

func parseOne(raw json.RawMessage, newID bool) (Statement, error) {
	var w wireStatement
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Statement{}, malformed(jsonReason(err))
	}
	return statementOf(&w, newID)
}

// statementOf checks a decoded statement and reduces it to what Steward
// reads.
func statementOf(w *wireStatement, newID bool) (Statement, error) {
	var st Statement
	switch {
	case w.ID != nil && ValidID(*w.ID):
		st.ID = strings.ToLower(*w.ID)
	case w.ID != nil:
		return st, malformed("id is not a UUID")
	case newID:
		st.ID = NewID()
	}
	a := w.Actor
	switch {
	case a == nil:
		return st, malformed("actor is missing")
	case a.ObjectType != "" && a.ObjectType != "Agent":
		return st, malformed("actor must be an Agent")
	case a.Account == nil || a.Mbox != nil || a.MboxSHA1 != nil || a.OpenID != nil:
		return st, malformed("actor must be identified by an account, and only by it")
	case a.Account.HomePage == "" || a.Account.Name == "":
		return st, malformed("actor.account needs homePage and name")
	}
	st.HomePage, st.Name = strings.TrimRight(a.Account.HomePage, "/"), a.Account.Name
	if w.Verb == nil || w.Verb.ID == "" {
		return st, malformed("verb.id is missing")
	}
	verb, ok := Verbs[w.Verb.ID]
	if !ok {
		return st, steward.Errorf(steward.EINVALID, "error.xapi_verb", "verb", w.Verb.ID)
	}
	st.Verb = verb
	switch {
	case w.Object == nil || w.Object.ID == "":
		return st, malformed("object.id is missing")
	case w.Object.ObjectType != "" && w.Object.ObjectType != "Activity":
		return st, malformed("object must be an Activity")
	}
	st.Activity = w.Object.ID
	if w.Timestamp != nil {
		t, err := time.Parse(time.RFC3339Nano, *w.Timestamp)
		if err != nil {
			return st, malformed("timestamp is not an ISO 8601 date and time")
		}
		st.Timestamp = t.UTC()
	}
	if r := w.Result; r != nil {
		st.Success, st.Completion = r.Success, r.Completion
		if r.Score != nil {
			score, err := scaleScore(r.Score)
			if err != nil {
				return st, err
			}
			st.Score, st.HasScore = score, true
		}
	}
	if st.Verb == "scored" && !st.HasScore {
		return st, malformed("a scored statement needs result.score")
	}
	return st, nil
}

// scaleScore turns an xAPI score into the policy's 0–100: scaled (0..1)
// times 100, else raw within min..max, else a raw that is itself 0..100.
// A negative scaled score (allowed by xAPI, -1..1) has no place on the
// policy's scale and is refused, as is anything out of range.
func scaleScore(s *wireScore) (int, error) {
	var pct float64
	switch {
	case s.Scaled != nil:
		if *s.Scaled < 0 || *s.Scaled > 1 {
			return 0, steward.Errorf(steward.EINVALID, "error.xapi_score")
		}
		pct = *s.Scaled * 100
	case s.Raw != nil && s.Min != nil && s.Max != nil:
		if *s.Max <= *s.Min || *s.Raw < *s.Min || *s.Raw > *s.Max {
			return 0, steward.Errorf(steward.EINVALID, "error.xapi_score")
		}
		pct = (*s.Raw - *s.Min) / (*s.Max - *s.Min) * 100
	case s.Raw != nil:
		if *s.Raw < 0 || *s.Raw > 100 {
			return 0, steward.Errorf(steward.EINVALID, "error.xapi_score")
		}
		pct = *s.Raw
	default:
		return 0, malformed("result.score needs scaled or raw")
	}
	return int(math.Round(pct)), nil
}

// CourseRef is how a statement's activity id names a course: by the
// learning environment's course id (LMSID) or by Steward's own course
// page (Slug).
type CourseRef struct {
	Slug, LMSID string
}

// ActivityCourse reads the course an activity id names. Two forms are
// understood (docs/xapi.md):
//   - Steward's course page, <issuer>/courses/<slug>;
//   - Moodle's course page, <any host>/course/view.php?id=<LMS course id>,
//     which is what Moodle's xAPI log store uses as a course's activity id.
func ActivityCourse(issuer, activity string) (CourseRef, bool) {
	issuer = strings.TrimRight(issuer, "/")
	if rest, ok := strings.CutPrefix(activity, issuer+"/courses/"); ok && rest != "" && !strings.ContainsAny(rest, "/?#") {
		return CourseRef{Slug: rest}, true
	}
	if i := strings.Index(activity, "/course/view.php?id="); i > 0 && strings.HasPrefix(activity, "http") {
		id := activity[i+len("/course/view.php?id="):]
		if id != "" && !strings.ContainsAny(id, "&#/") {
			return CourseRef{LMSID: id}, true
		}
	}
	return CourseRef{}, false
}
