package account_test

import (
	"strings"
	"testing"
	"time"

	"steward"
	"steward/account"
	"steward/internal/testkit"
	"steward/policy"
)

func ptr(i int) *int { return &i }

func testRecord() *policy.Record {
	subj := policy.SourceSubject
	return &policy.Record{ID: "account", Subject: policy.SubjectAccount, Fields: []policy.Field{
		{ID: "email", Type: policy.TypeEmail, Required: true, Source: subj, Editable: true},
		{ID: "first_name", Type: policy.TypeText, Required: true, MaxLength: 10, Source: subj, Editable: true},
		{ID: "age", Type: policy.TypeInteger, Min: ptr(16), Max: ptr(100), Source: subj, Editable: true},
		{ID: "postcode", Type: policy.TypePostcode, Source: subj, Editable: true},
		{ID: "gender", Type: policy.TypeChoice, Choices: []policy.Choice{{Value: "f"}, {Value: "m"}, {Value: "x"}}, Source: subj, Editable: true},
		{ID: "big", Type: policy.TypeBIG, Sensitive: true, Source: subj, Editable: true},
		{ID: "history", Type: policy.TypeLongText, MaxLength: 20, Source: subj, Editable: true},
		{ID: "password", Type: policy.TypeText, Required: true, Source: subj},
		{ID: "created_at", Type: policy.TypeDate, Source: policy.SourceSystem},
	}}
}

func TestValidate(t *testing.T) {
	rec := testRecord()
	t.Run("good_values_are_normalised", func(t *testing.T) {
		v, err := account.Validate(rec, map[string]string{"email": " Ann@Example.NL ", "first_name": " Ann  ", "age": "040",
			"postcode": "1234ab", "gender": "f", "big": "123 4567 8901"}, false)
		if err != nil {
			t.Fatal(err)
		}
		want := account.Values{"email": "Ann@example.nl", "first_name": "Ann", "age": "40", "postcode": "1234 AB", "gender": "f", "big": "12345678901"}
		for k, w := range want {
			if v[k] != w {
				t.Errorf("%s = %q, want %q", k, v[k], w)
			}
		}
	})
	t.Run("every_bad_field_reported_at_once", func(t *testing.T) {
		_, err := account.Validate(rec, map[string]string{"email": "nope", "first_name": "", "age": "7", "postcode": "0123 AB",
			"gender": "q", "big": "123", "history": strings.Repeat("x", 21), "shoe_size": "42", "created_at": "2020-01-01", "password": "x"}, false)
		fe := account.AsFieldErrors(err)
		for _, f := range []string{"email", "first_name", "age", "postcode", "gender", "big", "history", "shoe_size", "created_at", "password"} {
			if fe.For(f) == nil {
				t.Errorf("no error for %s (got %v)", f, err)
			}
		}
		if steward.ErrorCode(err) != steward.EINVALID {
			t.Errorf("code %q, want invalid", steward.ErrorCode(err))
		}
		if strings.Contains(err.Error(), "nope") {
			t.Errorf("error repeats the value: %v", err)
		}
	})
	t.Run("undeclared_field_refused_R4", func(t *testing.T) {
		_, err := account.Validate(rec, map[string]string{"email": "a@b.nl", "first_name": "A", "religion": "x"}, false)
		if account.AsFieldErrors(err).For("religion") == nil {
			t.Fatalf("undeclared field accepted: %v", err)
		}
	})
	t.Run("partial_edit_skips_absent_required", func(t *testing.T) {
		v, err := account.Validate(rec, map[string]string{"age": "30"}, true)
		if err != nil || v["age"] != "30" || len(v) != 1 {
			t.Fatalf("got %v, %v", v, err)
		}
		if _, err := account.Validate(rec, map[string]string{"first_name": " "}, true); err == nil {
			t.Fatal("emptying a required field accepted")
		}
	})
}

func TestPassword(t *testing.T) {
	weak := account.HashParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	h := account.HashPassword("correct horse", weak)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("not a PHC string: %s", h)
	}
	ok, rehash, err := account.VerifyPassword("correct horse", h, weak)
	if err != nil || !ok || rehash {
		t.Fatalf("verify same params: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	ok, rehash, _ = account.VerifyPassword("correct horse", h, account.DefaultParams)
	if !ok || !rehash {
		t.Fatalf("raised params: ok=%v rehash=%v, want true true", ok, rehash)
	}
	if ok, _, _ := account.VerifyPassword("wrong horse", h, weak); ok {
		t.Fatal("wrong password accepted")
	}
	if _, _, err := account.VerifyPassword("x", "$2a$10$bcrypt", weak); err == nil {
		t.Fatal("non-argon2 hash accepted")
	}
	if account.CheckPassword("short") == nil || account.CheckPassword(strings.Repeat("x", 600)) == nil || account.CheckPassword("long enough pw") != nil {
		t.Fatal("CheckPassword limits wrong")
	}
}

func TestSealer(t *testing.T) {
	key, err := account.ParseKey(account.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	s, err := account.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Seal("12345678901", "a-1/big")
	if strings.Contains(c, "12345678901") || !account.IsSealed(c) {
		t.Fatalf("sealed value leaks plaintext: %s", c)
	}
	if p, err := s.Open(c, "a-1/big"); err != nil || p != "12345678901" {
		t.Fatalf("open: %q %v", p, err)
	}
	if _, err := s.Open(c, "a-2/big"); err == nil {
		t.Fatal("value opened under another row's aad")
	}
	if _, err := account.ParseKey("too short"); err == nil {
		t.Fatal("bad key accepted")
	}
	if account.Mask("12345678901") != "*******8901" {
		t.Fatalf("mask: %s", account.Mask("12345678901"))
	}
}

func TestRoles(t *testing.T) {
	if account.RoleSupport.Allows(account.RolePrivacyOfficer) {
		t.Fatal("support allowed privacy_officer work")
	}
	if !account.RoleAdmin.Allows(account.RolePrivacyOfficer) || !account.RolePrivacyOfficer.Allows(account.RoleSupport) {
		t.Fatal("role order wrong")
	}
	if account.Role("").Allows(account.RoleSupport) {
		t.Fatal("a person without role allowed staff work")
	}
	if _, err := account.ParseRole("god"); err == nil {
		t.Fatal("unknown role accepted")
	}
}

func TestSessionTimeouts(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	s := account.Session{CreatedAt: t0, LastSeen: t0, AuthAt: t0}
	if s.Expired(t0.Add(29 * time.Minute)) {
		t.Fatal("expired before idle timeout")
	}
	if !s.Expired(t0.Add(31 * time.Minute)) {
		t.Fatal("not expired after idle timeout")
	}
	s.LastSeen = t0.Add(12*time.Hour - time.Minute)
	if !s.Expired(t0.Add(12 * time.Hour)) {
		t.Fatal("not expired after absolute timeout")
	}
}

func TestPolicyRecords(t *testing.T) {
	for site, want := range map[string][2]string{"ivm": {"account", "account,lms_account"}, "zorginspirator": {"account,profile", "account,profile"}} {
		p := testkit.Policy(t, site)
		ids := func(rs []*policy.Record) string {
			var s []string
			for _, r := range rs {
				s = append(s, r.ID)
			}
			return strings.Join(s, ",")
		}
		if got := ids(account.SignupRecords(p)); got != want[0] {
			t.Errorf("%s sign-up records %s, want %s", site, got, want[0])
		}
		if got := ids(account.ProfileRecords(p)); got != want[1] {
			t.Errorf("%s profile records %s, want %s", site, got, want[1])
		}
	}
}
