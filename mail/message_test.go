package mail_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/mail"
)

func TestValidate(t *testing.T) {
	ok := mail.Message{Kind: mail.KindVerify, SubjectID: "acct-1", To: "Jan <jan@example.org>", Subject: "Hallo", Text: "Tekst"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid message refused: %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*mail.Message)
		field string
	}{
		{"kind_with_capitals", func(m *mail.Message) { m.Kind = "Verify" }, "kind"},
		{"missing_subject_id", func(m *mail.Message) { m.SubjectID = " " }, "subject_id"},
		{"address_without_domain", func(m *mail.Message) { m.To = "jan" }, "to"},
		{"two_addresses", func(m *mail.Message) { m.To = "a@example.org, b@example.org" }, "to"},
		{"empty_subject", func(m *mail.Message) { m.Subject = "" }, "subject"},
		{"subject_injecting_a_header", func(m *mail.Message) { m.Subject = "Hi\r\nBcc: x@example.org" }, "subject"},
		{"empty_text", func(m *mail.Message) { m.Text = "\n" }, "text"},
		{"header_injection_in_value", func(m *mail.Message) {
			m.Headers = map[string]string{"List-Id": "x\r\nBcc: evil@example.org"}
		}, "headers"},
		{"reserved_header", func(m *mail.Message) { m.Headers = map[string]string{"bcc": "x@example.org"} }, "headers"},
		{"header_name_with_colon", func(m *mail.Message) { m.Headers = map[string]string{"X-A:b": "c"} }, "headers"},
		{"oversize_html", func(m *mail.Message) { m.HTML = strings.Repeat("x", 600<<10) }, "html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			tc.edit(&m)
			err := m.Validate()
			var se *steward.Error
			if !errors.As(err, &se) || se.Code != steward.EINVALID || se.Field != tc.field {
				t.Fatalf("Validate = %v, want invalid field %s", err, tc.field)
			}
			if strings.Contains(err.Error(), "example.org") {
				t.Fatalf("error repeats a personal value: %v", err)
			}
		})
	}
}

func TestMaskAddress(t *testing.T) {
	for in, want := range map[string]string{
		"jan.jansen@example.org":       "j***@example.org",
		"Jan Jansen <jan@example.org>": "j***@example.org",
		"émile@example.fr":             "é***@example.fr",
		"not an address":               "***",
	} {
		if got := mail.MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSafeErrorRemovesAddresses(t *testing.T) {
	err := errors.New("failed to send mail: 550 5.1.1 <jan.jansen@example.org>: Recipient address rejected, affected recipient(s): jan.jansen@example.org\nsecond line")
	got := mail.SafeError(err)
	want := "failed to send mail: 550 5.1.1 <address>: Recipient address rejected, affected recipient(s): <address> second line"
	if got != want {
		t.Fatalf("SafeError = %q\nwant         %q", got, want)
	}
	if long := mail.SafeError(errors.New(strings.Repeat("é", 1000))); len([]rune(long)) > 301 {
		t.Fatalf("SafeError kept %d runes", len([]rune(long)))
	}
}

func TestRetryDelay(t *testing.T) {
	var o mail.Options
	for failures, want := range map[int]time.Duration{
		1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 9: 256 * time.Minute,
		10: 6 * time.Hour, 15: 6 * time.Hour, 100: 6 * time.Hour,
	} {
		if got := o.RetryDelay(failures); got != want {
			t.Errorf("RetryDelay(%d) = %v, want %v", failures, got, want)
		}
	}
}

func TestSenderConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   mail.Config
		field string
	}{
		{"no_host", mail.Config{From: "a@example.org"}, "smtp-host"},
		{"bad_from", mail.Config{Host: "smtp.example.org", From: "nobody"}, "mail-from"},
		{"bad_tls", mail.Config{Host: "smtp.example.org", From: "a@example.org", TLS: "ssl3"}, "smtp-tls"},
		{"bad_port", mail.Config{Host: "smtp.example.org", From: "a@example.org", Port: 70000}, "smtp-port"},
		{"password_without_user", mail.Config{Host: "smtp.example.org", From: "a@example.org", Password: "x"}, "smtp-user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mail.NewSender(tc.cfg)
			var se *steward.Error
			if !errors.As(err, &se) || se.Field != tc.field {
				t.Fatalf("NewSender = %v, want an error about %s", err, tc.field)
			}
		})
	}
	for in, want := range map[string]mail.TLSMode{"": mail.TLSStartTLS, "NONE": mail.TLSNone, "tls": mail.TLSImplicit, "starttls": mail.TLSStartTLS} {
		if got, err := mail.ParseTLSMode(in); err != nil || got != want {
			t.Errorf("ParseTLSMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
