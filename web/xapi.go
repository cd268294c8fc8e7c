package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"steward"
	"steward/apikey"
	"steward/xapi"
)

// maxXAPIBody bounds a statements request: a batch of xapi.MaxBatch
// statements of about a kilobyte each fits, a runaway client does not.
const maxXAPIBody = 2 << 20

// xapiStatements is the Experience API's Statements resource for the
// learning environment (issue 16 item 4, R8; docs/xapi.md): POST takes
// one statement or an array and answers the array of their ids; PUT
// takes one statement whose id is ?statementId= and answers 204. The
// client authenticates with its API key as HTTP Basic (key id as user,
// secret as password) and sends X-Experience-API-Version 1.0.x. A request
// is stored whole or not at all; errors are the API's JSON error body.
func (s *Server) xapiStatements(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Experience-API-Version", xapi.Version)
	if s.cfg.Statements == nil || s.cfg.APIKeys == nil || !s.cfg.Statements.Enabled() {
		s.failAPI(w, r, http.StatusNotFound, steward.Errorf(steward.ENOTFOUND, "error.not_found"))
		return
	}
	ctx := r.Context()
	user, secret, _ := r.BasicAuth()
	// The key is recognised from memory when this process has let it in
	// before (no read: issue 16). Accept reads it again in its
	// transaction, and any other answer reads it first (fail), so a key
	// rotated or revoked by any process is refused at once, with 401.
	key, err := s.cfg.APIKeys.Recognise(ctx, user, secret, apikey.ScopeXAPI)
	answer := func(err error) {
		if steward.ErrorCode(err) == steward.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", `Basic realm="xapi", charset="UTF-8"`)
		}
		s.failXAPI(w, r, err)
	}
	if err != nil {
		answer(err)
		return
	}
	// fail answers an error after the key was recognised: the key's own
	// refusal first, if it no longer works (which also makes this
	// process forget it).
	fail := func(err error) {
		if _, kerr := s.cfg.APIKeys.Authenticate(ctx, user, secret, apikey.ScopeXAPI); kerr != nil {
			err = kerr
		}
		answer(err)
	}
	if err := xapi.CheckVersion(r.Header.Get("X-Experience-API-Version")); err != nil {
		fail(err)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		// Attachments (multipart/mixed) are not taken: a result needs none.
		fail(steward.Errorf(steward.EUNSUPPORTED, "error.content_type_must_be_json"))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = steward.Errorf(steward.EINVALID, "error.request_body_too_large")
		}
		fail(err)
		return
	}
	put := r.Method == http.MethodPut
	sts, err := xapi.Parse(body, !put)
	if err == nil && put {
		err = putStatementID(r.URL.Query().Get("statementId"), body, sts)
	}
	if err != nil {
		fail(err)
		return
	}
	out, err := s.cfg.Statements.Accept(ctx, key, sts)
	if err != nil {
		fail(err)
		return
	}
	if put {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, out.IDs)
}

// putStatementID checks a PUT: one statement (no array), its id in the
// query as a UUID, and the body's id, if any, the same.
func putStatementID(q string, body []byte, sts []xapi.Statement) error {
	switch {
	case q == "":
		return steward.FieldError("statementId", "error.xapi_statement_id_missing")
	case !xapi.ValidID(q):
		return steward.FieldError("statementId", "error.xapi_statement_id")
	case strings.HasPrefix(strings.TrimSpace(string(body)), "["):
		return steward.Errorf(steward.EINVALID, "error.xapi_put_one")
	case sts[0].ID != "" && sts[0].ID != strings.ToLower(q):
		return steward.FieldError("statementId", "error.xapi_statement_id_differs")
	}
	sts[0].ID = strings.ToLower(q)
	return nil
}

// failXAPI answers an error as the API's JSON body with its status (400
// for a malformed or unacceptable statement, 401 without a working key,
// 403 for a key without the xapi scope, 409 for an id already used).
func (s *Server) failXAPI(w http.ResponseWriter, r *http.Request, err error) {
	status := httpStatus(steward.ErrorCode(err))
	if status == http.StatusInternalServerError {
		s.cfg.Log.Error("xapi request failed", "request_id", RequestID(r.Context()), "err", err)
	}
	s.failAPI(w, r, status, err)
}
