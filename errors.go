// Package steward holds what every part of Steward shares: the application
// error codes that the web and CLI layers map to HTTP statuses and exit codes
// in one place each.
package steward

import (
	"errors"
	"fmt"

	"steward/message"
)

// Application error codes. Callers branch on these with ErrorCode, never
// on message text.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOMANY      = "too_many_requests"
	EUNAVAILABLE  = "unavailable"
	// EUNSUPPORTED is a request body of a media type not accepted (415).
	EUNSUPPORTED = "unsupported_media_type"
)

// Error is an error whose message is safe to show to the person who caused
// it: it never carries personal values, only field names and ids. The
// message is a catalogue key with named arguments, rendered in the
// reader's language (Localize); its English text is only for logs and the
// CLI.
type Error struct {
	Code string
	// Key is the message's key in the catalogue (package message).
	Key string
	// Args are name/value pairs filling the {name} arguments of the text.
	Args []any
	// Field names the input field at fault, when there is one.
	Field string
}

// Error returns the English message with its code.
func (e *Error) Error() string {
	msg := message.Format("en", e.Key, e.Args...)
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, msg)
	}
	return fmt.Sprintf("%s: %s", e.Code, msg)
}

// MessageKey returns the catalogue key and arguments of the message, so
// the catalogue can render it in any language.
func (e *Error) MessageKey() (string, []any) { return e.Key, e.Args }

// Errorf returns an *Error with the given code and the message of the
// catalogue key, its arguments given as name/value pairs:
// Errorf(EINVALID, "error.no_request", "id", id).
func Errorf(code, key string, args ...any) *Error {
	return &Error{Code: code, Key: key, Args: args}
}

// FieldError returns an EINVALID error about one input field, its message
// a catalogue key with name/value arguments as for Errorf.
func FieldError(field, key string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Key: key, Args: args}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorKey returns the catalogue key of the first *Error in err's chain,
// "error.internal" for any other error; callers and tests branch on it
// instead of on wording.
func ErrorKey(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Key
	}
	return "error.internal"
}

// ErrorMessage returns the safe message of err in English (for the CLI and
// logs), or a generic text for internal errors, whose details go to the
// log only.
func ErrorMessage(err error) string { return Localize("en", err) }

// Localize returns the safe message of err in lang from the catalogue, or
// the generic text for internal errors.
func Localize(lang string, err error) string { return message.Default().Error(lang, err) }
