package runner

import (
	"testing"
	"time"

	"steward/policy"
	"steward/retention"
)

// TestWarningMailWording: the warning mail, now read from the catalogue,
// says word for word what it said when its text was written here, in Dutch
// and then English (Z9).
func TestWarningMailWording(t *testing.T) {
	p := &policy.Policy{Site: policy.Site{Name: "IVM", URLs: []string{"https://ivm.example.nl"}}}
	d := retention.Decision{DueDate: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		action        policy.Action
		subject, text string
	}{
		{policy.ActionDelete, "IVM: je account wordt op 2027-03-01 verwijderd / your account will be deleted",
			`Je account bij IVM wordt op 2027-03-01 verwijderd, omdat je het lang niet hebt gebruikt.
Wil je je account houden? Log dan voor die datum in op https://ivm.example.nl. Daarmee blijft je account bestaan.

(English) Your account at IVM will be deleted on 2027-03-01 because it has not been used for a long time.
To keep it, log in at https://ivm.example.nl before that date.
`},
		{policy.ActionAnonymise, "IVM: je account wordt op 2027-03-01 geanonimiseerd / your account will be anonymised",
			`Je account bij IVM wordt op 2027-03-01 geanonimiseerd, omdat je het lang niet hebt gebruikt.
Wil je je account houden? Log dan voor die datum in op https://ivm.example.nl. Daarmee blijft je account bestaan.

(English) Your account at IVM will be anonymised on 2027-03-01 because it has not been used for a long time.
To keep it, log in at https://ivm.example.nl before that date.
`},
	} {
		m := warningMail(p, &policy.Rule{Action: tc.action}, "acc_1", "a@example.nl", d)
		if m.Subject != tc.subject {
			t.Errorf("%s: subject %q, want %q", tc.action, m.Subject, tc.subject)
		}
		if m.Text != tc.text {
			t.Errorf("%s: text\n%s\nwant\n%s", tc.action, m.Text, tc.text)
		}
	}
}
