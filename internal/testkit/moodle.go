package testkit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// MoodleServer is an in-process HTTP server that speaks exactly Moodle's
// web-service calling convention for the five functions Steward uses
// (issue 16 item 5, issue 17 item 4), so tests send real HTTP as to a
// real Moodle. It follows:
//
//   - Moodle Developer Docs, "Web services" and "Web service API
//     functions" (https://moodledev.io/docs/apis/subsystems/external): the
//     REST protocol's endpoint /webservice/rest/server.php, the token in
//     wstoken, the function in wsfunction, moodlewsrestformat=json, and
//     array parameters form-encoded by index (userids[0]=5,
//     users[0][id]=5, users[0][customfields][0][type]=…);
//   - webservice/rest/locallib.php (webservice_rest_server): parameters
//     read from GET and POST alike; an exception is answered with HTTP 200
//     and the JSON object {"exception":…,"errorcode":…,"message":…} — a bad
//     token is moodle_exception / invalidtoken, an unknown function
//     dml_missing_record_exception / invalidrecord;
//   - user/externallib.php (core_user_external):
//     core_user_get_users_by_field (field id, idnumber, username or email;
//     values[]) answers an array of user objects and leaves deleted users
//     out; core_user_delete_users (userids[]) answers null, and a user
//     missing or deleted already fails the whole call with
//     dml_missing_record_exception / invalidrecord (MUST_EXIST);
//     user_delete_user clears the user's idnumber and e-mail;
//     core_user_update_users (users[], with customfields[] of type and
//     value) answers null and skips a missing or deleted user;
//     core_user_create_users (users[] of username, firstname, lastname,
//     email — required —, auth default manual, idnumber, password or
//     createpassword, …) answers [{"id":…,"username":…}]; a missing
//     required key, a username that is not PARAM_USERNAME (lower-case
//     letters, digits and - . _ @), a blank username or name, a username
//     or e-mail address in use (case-insensitive, not by a deleted user),
//     an unknown auth plugin, or an internal one (manual, email) without
//     password or createpassword fail the whole call with
//     invalid_parameter_exception / invalidparameter, in one transaction;
//   - enrol/manual/externallib.php (enrol_manual_external::enrol_users):
//     enrol_manual_enrol_users (enrolments[] of roleid, userid, courseid,
//     optional timestart, timeend, suspend) answers null; a course that
//     does not exist fails with invalid_parameter_exception /
//     invalidparameter ("Context does not exist", validate_context), a
//     role the token's user may not assign with moodle_exception /
//     wsusercannotassign (get_assignable_roles: here the teacher roles 3
//     and 4 and student 5), a user missing or deleted with
//     coding_exception / codingerror (role_assign); the whole call rolls
//     back on the first error, and enrolling an enrolled user again only
//     updates the enrolment.
//
// Other functions, formats and the XML answer are not implemented.
type MoodleServer struct {
	// URL is the site's base address; Token the one valid wstoken.
	URL   string
	Token string

	srv     *httptest.Server
	mu      sync.Mutex
	users   map[int64]*MoodleUser
	nextID  int64
	courses map[int64]map[int64]int64 // course id → user id → role id
	calls   []MoodleCall
	fail    []string
}

// MoodleUser is a user of the test Moodle.
type MoodleUser struct {
	ID                        int64
	Username, IDNumber, Email string
	FirstName, LastName       string
	// Auth is the user's authentication plugin (oauth2 for a sign-in
	// through Steward).
	Auth         string
	Deleted      bool
	CustomFields map[string]string
}

// MoodleCall is one call the server received: its function and
// parameters (the token left out) and the error it answered, if any.
type MoodleCall struct {
	Function string
	Params   url.Values
	Error    string
}

// NewMoodle starts a test Moodle with token "test-ws-token"; it stops
// with the test.
func NewMoodle(t testing.TB) *MoodleServer {
	m := &MoodleServer{Token: "test-ws-token", users: map[int64]*MoodleUser{}, nextID: 100, courses: map[int64]map[int64]int64{}}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	m.URL = m.srv.URL
	t.Cleanup(m.srv.Close)
	return m
}

// AddUser creates a user as Moodle's OAuth 2 sign-in does on a first
// login, the OIDC subject in idnumber; it returns the Moodle id.
func (m *MoodleServer) AddUser(idnumber, email, first, last string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	m.users[m.nextID] = &MoodleUser{ID: m.nextID, Username: "oidc" + idnumber, IDNumber: idnumber, Email: email,
		FirstName: first, LastName: last, Auth: "oauth2", CustomFields: map[string]string{}}
	return m.nextID
}

// AddCourse creates course id, with a manual enrolment instance.
func (m *MoodleServer) AddCourse(id int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.courses[id] = map[int64]int64{}
}

// Enrolled returns the role user has in course; ok is false when the
// user is not enrolled there.
func (m *MoodleServer) Enrolled(course, user int64) (role int64, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	role, ok = m.courses[course][user]
	return role, ok
}

// UserBy returns a copy of the user (deleted or not) whose idnumber is
// idnumber; ok is false when there is none.
func (m *MoodleServer) UserBy(idnumber string) (MoodleUser, bool) {
	m.mu.Lock()
	var id int64
	for _, u := range m.sortedUsers() {
		if u.IDNumber == idnumber && idnumber != "" {
			id = u.ID
			break
		}
	}
	m.mu.Unlock()
	if id == 0 {
		return MoodleUser{}, false
	}
	return m.User(id), true
}

// User returns a copy of user id.
func (m *MoodleServer) User(id int64) MoodleUser {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := *m.users[id]
	u.CustomFields = map[string]string{}
	for k, v := range m.users[id].CustomFields {
		u.CustomFields[k] = v
	}
	return u
}

// Calls returns the calls received so far.
func (m *MoodleServer) Calls() []MoodleCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// CallsOf returns the calls of one function.
func (m *MoodleServer) CallsOf(fn string) []MoodleCall {
	var out []MoodleCall
	for _, c := range m.Calls() {
		if c.Function == fn {
			out = append(out, c)
		}
	}
	return out
}

// FailNext makes the next calls answer Moodle's error object with these
// error codes, one per call ("http503" answers HTTP 503 instead, as a
// proxy in front of a Moodle that is down would).
func (m *MoodleServer) FailNext(codes ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = append(m.fail, codes...)
}

type moodleError struct {
	Exception string `json:"exception"`
	ErrorCode string `json:"errorcode"`
	Message   string `json:"message"`
}

func (m *MoodleServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/webservice/rest/server.php" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p := r.Form // GET and POST parameters, as Moodle's optional_param reads them
	fn := p.Get("wsfunction")
	params := url.Values{}
	for k, v := range p {
		if k != "wstoken" && k != "wsfunction" && k != "moodlewsrestformat" {
			params[k] = v
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	call := MoodleCall{Function: fn, Params: params}
	answer := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	fail := func(e moodleError) {
		call.Error = e.ErrorCode
		m.calls = append(m.calls, call)
		answer(e) // HTTP 200, as Moodle answers an exception
	}
	if len(m.fail) > 0 {
		code := m.fail[0]
		m.fail = m.fail[1:]
		if code == "http503" {
			call.Error = code
			m.calls = append(m.calls, call)
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		fail(moodleError{"moodle_exception", code, "Injected failure: " + code})
		return
	}
	if p.Get("wstoken") != m.Token {
		fail(moodleError{"moodle_exception", "invalidtoken", "Invalid token - token not found"})
		return
	}
	if p.Get("moodlewsrestformat") != "json" {
		fail(moodleError{"invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected (moodlewsrestformat)"})
		return
	}
	var res any
	var err *moodleError
	switch fn {
	case "core_user_get_users_by_field":
		res, err = m.getUsersByField(params)
	case "core_user_delete_users":
		res, err = m.deleteUsers(params)
	case "core_user_update_users":
		res, err = m.updateUsers(params)
	case "core_user_create_users":
		res, err = m.createUsers(params)
	case "enrol_manual_enrol_users":
		res, err = m.enrolUsers(params)
	default:
		err = &moodleError{"dml_missing_record_exception", "invalidrecord", "Can't find data record in database table external_functions."}
	}
	if err != nil {
		fail(*err)
		return
	}
	m.calls = append(m.calls, call)
	answer(res)
}

var invalidParameter = &moodleError{"invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected"}

// indexed returns the values of name[0], name[1], … in order; an index
// that is not a number is a bad parameter.
func indexed(p url.Values, name string) ([]string, *moodleError) {
	var idx []int
	vals := map[int]string{}
	for k, v := range p {
		rest, ok := strings.CutPrefix(k, name+"[")
		if !ok || !strings.HasSuffix(rest, "]") || strings.Contains(rest, "][") {
			continue
		}
		i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
		if err != nil {
			return nil, invalidParameter
		}
		idx = append(idx, i)
		vals[i] = v[0]
	}
	slices.Sort(idx)
	out := make([]string, len(idx))
	for j, i := range idx {
		out[j] = vals[i]
	}
	return out, nil
}

// structs groups name[i][key]=v (key possibly nested further) by i.
func structs(p url.Values, name string) map[int]url.Values {
	out := map[int]url.Values{}
	for k, v := range p {
		rest, ok := strings.CutPrefix(k, name+"[")
		if !ok {
			continue
		}
		n, sub, ok := strings.Cut(rest, "][")
		i, err := strconv.Atoi(n)
		if !ok || err != nil {
			continue
		}
		if out[i] == nil {
			out[i] = url.Values{}
		}
		// users[0][customfields][0][type] → customfields[0][type]
		sub = strings.Replace(sub, "]", "", 1)
		if j := strings.Index(sub, "["); j < 0 {
			sub = strings.TrimSuffix(sub, "]")
		}
		out[i][sub] = v
	}
	return out
}

func (m *MoodleServer) getUsersByField(p url.Values) (any, *moodleError) {
	field := p.Get("field")
	values, err := indexed(p, "values")
	if err != nil {
		return nil, err
	}
	switch field {
	case "id", "idnumber", "username", "email":
	default:
		return nil, &moodleError{"coding_exception", "codingerror", "Coding error detected, it must be fixed by a programmer: invalid field parameter"}
	}
	out := []map[string]any{}
	for _, u := range m.sortedUsers() {
		if u.Deleted {
			continue
		}
		have := map[string]string{"id": strconv.FormatInt(u.ID, 10), "idnumber": u.IDNumber, "username": u.Username, "email": u.Email}[field]
		if have == "" || !slices.Contains(values, have) {
			continue
		}
		cf := []map[string]string{}
		for k, v := range u.CustomFields {
			cf = append(cf, map[string]string{"type": "text", "value": v, "name": k, "shortname": k})
		}
		out = append(out, map[string]any{"id": u.ID, "username": u.Username, "idnumber": u.IDNumber, "email": u.Email,
			"firstname": u.FirstName, "lastname": u.LastName, "fullname": u.FirstName + " " + u.LastName, "customfields": cf})
	}
	return out, nil
}

func (m *MoodleServer) sortedUsers() []*MoodleUser {
	var out []*MoodleUser
	for _, u := range m.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *MoodleUser) int { return int(a.ID - b.ID) })
	return out
}

func (m *MoodleServer) deleteUsers(p url.Values) (any, *moodleError) {
	ids, err := indexed(p, "userids")
	if err != nil {
		return nil, err
	}
	var todo []*MoodleUser
	for _, s := range ids {
		id, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil {
			return nil, invalidParameter
		}
		u := m.users[id]
		if u == nil || u.Deleted {
			// One missing user fails the whole call: Moodle's delegated
			// transaction rolls back.
			return nil, &moodleError{"dml_missing_record_exception", "invalidrecord", "Can't find data record in database table user."}
		}
		todo = append(todo, u)
	}
	for _, u := range todo {
		// user_delete_user: the record stays, marked deleted, with its
		// e-mail and idnumber cleared and the username replaced.
		u.Deleted, u.IDNumber, u.Email = true, "", ""
		u.Username = fmt.Sprintf("deleted.%d", u.ID)
		u.FirstName, u.LastName, u.CustomFields = "", "", map[string]string{}
		for _, enrolled := range m.courses {
			delete(enrolled, u.ID) // enrol_user_delete: the user's enrolments go
		}
	}
	return nil, nil
}

func (m *MoodleServer) updateUsers(p url.Values) (any, *moodleError) {
	for _, fields := range structs(p, "users") {
		id, err := strconv.ParseInt(fields.Get("id"), 10, 64)
		if err != nil {
			return nil, invalidParameter
		}
		u := m.users[id]
		if u == nil || u.Deleted {
			continue // skipped, as Moodle does
		}
		for k, v := range fields {
			switch k {
			case "id":
			case "email":
				u.Email = v[0]
			case "firstname":
				u.FirstName = v[0]
			case "lastname":
				u.LastName = v[0]
			case "idnumber":
				u.IDNumber = v[0]
			default:
				if !strings.HasPrefix(k, "customfields[") {
					return nil, invalidParameter
				}
			}
		}
		cf, _ := indexedStructs(fields, "customfields")
		for _, c := range cf {
			u.CustomFields[c.Get("type")] = c.Get("value")
		}
	}
	return nil, nil
}

// indexedStructs groups customfields[i][key] by i.
func indexedStructs(p url.Values, name string) ([]url.Values, error) {
	by := map[int]url.Values{}
	for k, v := range p {
		rest, ok := strings.CutPrefix(k, name+"[")
		if !ok {
			continue
		}
		n, key, ok := strings.Cut(rest, "][")
		i, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("bad %s", k)
		}
		if by[i] == nil {
			by[i] = url.Values{}
		}
		by[i][strings.TrimSuffix(key, "]")] = v
	}
	var idx []int
	for i := range by {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	out := make([]url.Values, len(idx))
	for j, i := range idx {
		out[j] = by[i]
	}
	return out, nil
}

// usernameRE is PARAM_USERNAME: what clean_param keeps of a username
// (lower-case letters, digits, - . _ @). A value it would change is
// refused by validate_parameters.
var usernameRE = regexp.MustCompile(`^[-._@a-z0-9]+$`)

// moodleAuths are the auth plugins of a standard Moodle installation that
// core_user_create_users accepts (mnet and webservice are left out), and
// whether each keeps its password in Moodle (is_internal).
var moodleAuths = map[string]bool{"manual": true, "email": true, "nologin": false, "oauth2": false, "ldap": false,
	"cas": false, "db": false, "lti": false, "shibboleth": false}

func missingKey(key string) *moodleError {
	return &moodleError{"invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected (Missing required key in single structure: " + key + ")"}
}

func (m *MoodleServer) createUsers(p url.Values) (any, *moodleError) {
	byIndex := structs(p, "users")
	if len(byIndex) == 0 {
		return nil, missingKey("users")
	}
	var idx []int
	for i := range byIndex {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	// Check every user first: Moodle's delegated transaction rolls the
	// whole call back on the first exception.
	taken := map[string]bool{}
	for _, u := range m.users {
		if !u.Deleted {
			taken["u:"+u.Username], taken["e:"+strings.ToLower(u.Email)] = true, true
		}
	}
	for _, i := range idx {
		f := byIndex[i]
		for _, k := range []string{"username", "firstname", "lastname", "email"} {
			if !f.Has(k) {
				return nil, missingKey(k)
			}
		}
		username, auth := f.Get("username"), f.Get("auth")
		if auth == "" {
			auth = "manual" // VALUE_DEFAULT
		}
		internal, known := moodleAuths[auth]
		email := strings.ToLower(f.Get("email"))
		switch {
		case strings.TrimSpace(username) == "" || strings.TrimSpace(f.Get("firstname")) == "" || strings.TrimSpace(f.Get("lastname")) == "":
			return nil, invalidParameter
		case !usernameRE.MatchString(username):
			return nil, invalidParameter
		case taken["u:"+username]:
			return nil, &moodleError{"invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected (Username already exists: " + username + ")"}
		case !known:
			return nil, &moodleError{"invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected (Invalid authentication type: " + auth + ")"}
		case internal && f.Get("password") == "" && f.Get("createpassword") != "1":
			return nil, &moodleError{"invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected (Invalid password: you must provide a password, or set createpassword.)"}
		case !strings.Contains(email, "@") || strings.ContainsAny(email, " ,;"):
			return nil, &moodleError{"invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected (Email address is invalid)"}
		case taken["e:"+email]:
			return nil, &moodleError{"invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected (Email address already exists)"}
		}
		taken["u:"+username], taken["e:"+email] = true, true
	}
	out := []map[string]any{}
	for _, i := range idx {
		f := byIndex[i]
		m.nextID++
		auth := f.Get("auth")
		if auth == "" {
			auth = "manual"
		}
		m.users[m.nextID] = &MoodleUser{ID: m.nextID, Username: f.Get("username"), IDNumber: f.Get("idnumber"), Email: f.Get("email"),
			FirstName: f.Get("firstname"), LastName: f.Get("lastname"), Auth: auth, CustomFields: map[string]string{}}
		out = append(out, map[string]any{"id": m.nextID, "username": f.Get("username")})
	}
	return out, nil
}

func (m *MoodleServer) enrolUsers(p url.Values) (any, *moodleError) {
	byIndex := structs(p, "enrolments")
	if len(byIndex) == 0 {
		return nil, missingKey("enrolments")
	}
	type enrolment struct{ role, user, course int64 }
	var todo []enrolment
	var idx []int
	for i := range byIndex {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		f := byIndex[i]
		var e enrolment
		for _, k := range []struct {
			key string
			v   *int64
		}{{"roleid", &e.role}, {"userid", &e.user}, {"courseid", &e.course}} {
			if !f.Has(k.key) {
				return nil, missingKey(k.key)
			}
			n, err := strconv.ParseInt(f.Get(k.key), 10, 64)
			if err != nil {
				return nil, invalidParameter // PARAM_INT
			}
			*k.v = n
		}
		if _, ok := m.courses[e.course]; !ok {
			return nil, &moodleError{"invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected (Context does not exist)"}
		}
		if e.role < 3 || e.role > 5 {
			return nil, &moodleError{"moodle_exception", "wsusercannotassign", "You don't have the permission to assign this role to this user in this course."}
		}
		if u := m.users[e.user]; u == nil || u.Deleted {
			return nil, &moodleError{"coding_exception", "codingerror", "Coding error detected, it must be fixed by a programmer: User ID does not exist or is deleted!"}
		}
		todo = append(todo, e)
	}
	for _, e := range todo {
		m.courses[e.course][e.user] = e.role
	}
	return nil, nil
}
