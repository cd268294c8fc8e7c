// Package voucher holds the rules of vouchers (issue 17: R6): a batch of
// codes an organisation buys for one course, the codes themselves
// (unguessable, typable, with a check character), what the redeemer is
// told before redeeming (the policy's notice of the voucher_report
// purpose, the organisation named, the fields, for how long) and the
// fields the creator's report may show — those the policy declares for
// the voucher_report purpose, nothing else. No SQL, no HTTP, no clock.
package voucher

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"io"
	"strings"
	"time"

	"steward"
	"steward/policy"
)

// Kind is the policy's record kind of a redeemed voucher, and Purpose the
// purpose whose notice the redeemer sees and whose fields the report shows.
const (
	Kind    = "voucher"
	Purpose = "voucher_report"
)

// Alphabet is Crockford's base 32: digits and capitals without I, L, O
// and U, so no two symbols look alike; Normalise reads I and L as 1 and O
// as 0, lower case as upper, and drops spaces and dashes.
const Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// DataLen is the number of random symbols in a code: 18 × 5 = 90 bits.
// A check symbol follows, and the code is shown in groups of four and three.
const DataLen = 18

// MaxCount bounds a batch, and MaxLabel its label.
const (
	MaxCount = 10000
	MaxLabel = 100
)

// Batch is a batch of vouchers for one course of one organisation.
type Batch struct {
	ID           string
	Organisation string
	Course       string
	Label        string
	Count        int
	ExpiresAt    time.Time
	CreatedBy    string
	CreatedAt    time.Time
	// Redeemed counts the codes redeemed (reads only).
	Redeemed int
}

// ExpiresAfter is when codes valid through day (a date, UTC) stop
// working: the start of the next day.
func ExpiresAfter(day time.Time) time.Time {
	y, m, d := day.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// LastDay is the last day the batch's codes can be redeemed.
func (b *Batch) LastDay() time.Time { return b.ExpiresAt.UTC().AddDate(0, 0, -1) }

// Check refuses a batch without a course, count or expiry in the future.
func (b *Batch) Check(now time.Time) error {
	switch {
	case b.Organisation == "":
		return steward.FieldError("organisation", "error.is_required")
	case b.Course == "":
		return steward.FieldError("course", "error.is_required")
	case b.Count < 1 || b.Count > MaxCount:
		return steward.FieldError("count", "error.voucher_count", "max", MaxCount)
	case !b.ExpiresAt.After(now):
		return steward.FieldError("expires", "error.voucher_expiry_past")
	case len([]rune(b.Label)) > MaxLabel || strings.ContainsAny(b.Label, "\r\n\t"):
		return steward.FieldError("label", "error.voucher_label", "max", MaxLabel)
	}
	return nil
}

// NewCode returns a fresh random code with its check symbol, formatted
// for reading (XXXX-XXXX-XXXX-XXXX-XXX).
func NewCode() string {
	var b [DataLen]byte
	rand.Read(b[:])
	s := make([]byte, 0, DataLen+1)
	for _, x := range b {
		s = append(s, Alphabet[x&31])
	}
	s = append(s, checkSymbol(string(s)))
	return Format(string(s))
}

// Format groups a normalised code in fours.
func Format(code string) string {
	var out strings.Builder
	for i := 0; i < len(code); i += 4 {
		if i > 0 {
			out.WriteByte('-')
		}
		out.WriteString(code[i:min(i+4, len(code))])
	}
	return out.String()
}

// Normalise reads a typed code: upper case, spaces and dashes dropped,
// look-alikes read as the symbol they resemble. It refuses a code of the
// wrong length or with a symbol outside the alphabet, and one whose check
// symbol does not match (a typo), before any lookup.
func Normalise(typed string) (string, error) {
	var s strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch r {
		case ' ', '-', '\t':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 127 || !strings.ContainsRune(Alphabet, r) {
			return "", steward.FieldError("code", "error.voucher_code_typo")
		}
		s.WriteRune(r)
	}
	code := s.String()
	if len(code) != DataLen+1 || checkSymbol(code[:DataLen]) != code[DataLen] {
		return "", steward.FieldError("code", "error.voucher_code_typo")
	}
	return code, nil
}

// checkSymbol is the check symbol of data: the sum of each symbol's
// value times α^(i+1) in GF(32) (α a root of x⁵+x²+1, of order 31). Two
// codes that differ in one symbol, or by a swap of two different
// neighbours (the check symbol included), never share it: the
// difference is a non-zero value times a power of α, or times (1+α).
func checkSymbol(data string) byte {
	sum, w := 0, 1
	for i := range len(data) {
		w = gfMul(w, 2)
		sum ^= gfMul(w, strings.IndexByte(Alphabet, data[i]))
	}
	return Alphabet[sum]
}

// gfMul multiplies in GF(32) modulo x⁵+x²+1.
func gfMul(a, b int) int {
	p := 0
	for b > 0 {
		if b&1 != 0 {
			p ^= a
		}
		b >>= 1
		a <<= 1
		if a&32 != 0 {
			a ^= 0x25
		}
	}
	return p
}

// Hash is the stored form of a normalised code (SHA-256, hex, like
// account.HashSecret): a copy of the database does not hold the codes.
// 90 random bits make an offline search hopeless.
func Hash(code string) string {
	h := sha256.Sum256([]byte("voucher:" + code))
	return hex.EncodeToString(h[:])
}

// Column is one column of the creator's report: a field the policy
// declares for the voucher_report purpose on the record kind it comes
// from (account, voucher or learning_result).
type Column struct {
	Kind  string
	Field string
	Name  policy.Text
}

// ID names the column (kind.field), for CSV headers and staff views.
func (c Column) ID() string { return c.Kind + "." + c.Field }

// reportKinds are the record kinds a report row is built from, in order.
var reportKinds = []string{"account", Kind, "learning_result"}

// ReportColumns are the fields the policy declares for the voucher_report
// purpose, in the policy's order: nothing else about a redeemer reaches
// the report. The voucher's code is left out (only its hash is kept) and
// a learning result's course once the voucher's course is a column.
func ReportColumns(p *policy.Policy) []Column {
	var out []Column
	seen := map[string]bool{}
	for _, kind := range reportKinds {
		rec := p.Record(kind)
		if rec == nil {
			continue
		}
		for _, f := range rec.Fields {
			if !hasPurpose(f.Purposes, Purpose) || f.Sensitive || (kind == Kind && f.ID == "code") || seen[f.ID] && f.ID == "course" {
				continue
			}
			seen[f.ID] = true
			out = append(out, Column{Kind: kind, Field: f.ID, Name: f.Name})
		}
	}
	return out
}

func hasPurpose(ps []string, id string) bool {
	for _, p := range ps {
		if p == id {
			return true
		}
	}
	return false
}

// Enabled reports whether the policy declares vouchers: the record kind
// and the purpose with its notice.
func Enabled(p *policy.Policy) bool {
	pu := p.Purpose(Purpose)
	return p.Record(Kind) != nil && pu != nil && pu.Notice.Complete()
}

// Notice is what a redeemer is shown before redeeming, in one language:
// the policy's notice of the voucher_report purpose, the organisation
// that will see the results, the fields it sees, and how long — the
// retention rules of the record the voucher goes with, in the policy's
// words. Hash identifies this exact wording; the confirmation records it.
type Notice struct {
	Lang         string
	Text         string
	Organisation string
	Course       string
	Fields       []string
	Period       []string
	Hash         string
}

// NewNotice builds the notice in lang ("nl" or "en"). goesWith is the
// record kind whose retention the voucher record follows (the account).
func NewNotice(p *policy.Policy, lang, organisation, course, goesWith string) *Notice {
	pu := p.Purpose(Purpose)
	n := &Notice{Lang: lang, Organisation: organisation, Course: course}
	if pu != nil {
		n.Text = pu.Notice.In(lang)
	}
	for _, c := range ReportColumns(p) {
		n.Fields = append(n.Fields, c.Name.In(lang))
	}
	for _, ru := range p.Retention {
		if ru.Record == goesWith || ru.Record == Kind {
			n.Period = append(n.Period, ru.Description.In(lang))
		}
	}
	h := sha256.New()
	for _, part := range append(append([]string{p.Version.Number, lang, n.Text, organisation, course}, n.Fields...), n.Period...) {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	n.Hash = hex.EncodeToString(h.Sum(nil))
	return n
}

// CodesHeader is the header of a batch's CSV of codes.
var CodesHeader = []string{"code", "course", "expires", "label"}

// WriteCodesCSV writes a batch's codes as CSV: the only copy of them.
func WriteCodesCSV(w io.Writer, b *Batch, codes []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CodesHeader); err != nil {
		return err
	}
	for _, c := range codes {
		if err := cw.Write([]string{c, b.Course, b.LastDay().Format(time.DateOnly), CSVSafe(b.Label)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CSVSafe defuses a value a spreadsheet would run as a formula.
func CSVSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
