package steward_test

import (
	"errors"
	"fmt"
	"testing"

	"steward"
)

func TestErrorCodeFollowsTheWrapChain(t *testing.T) {
	inner := steward.FieldError("email", "error.is_not_valid_email")
	wrapped := fmt.Errorf("signup %s: %w", "a_1", inner)
	cases := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"nil", nil, "", ""},
		{"wrapped_application_error", wrapped, steward.EINVALID, "is not a valid e-mail address"},
		{"plain_error_is_internal_and_hidden", errors.New("pq: connection reset by 10.0.0.7"), steward.EINTERNAL, "Something went wrong on our side; please try again later."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := steward.ErrorCode(c.err); got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
			if c.err != nil {
				if got := steward.ErrorMessage(c.err); got != c.msg {
					t.Errorf("message %q, want %q", got, c.msg)
				}
			}
		})
	}
	if got := wrapped.Error(); got != "signup a_1: invalid: email: is not a valid e-mail address" {
		t.Errorf("Error() = %q", got)
	}
}
