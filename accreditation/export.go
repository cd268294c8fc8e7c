// Package accreditation is the file of accreditation points Steward hands
// PE-online (issue 16 item 6, R8: "accreditation points are exported for
// the accreditation registry"). PE-online credits points when the provider
// enters the attendance ("presentie") of registered professionals for an
// accredited activity, by their registration numbers; the points
// themselves follow from the accreditation granted. The file lists, per
// register, each person's full registration number with the course and
// its points — only the fields the policy's pe_online export declares
// (docs/accreditation.md says what of PE-online's format is confirmed
// and what is not). Pure: accreditation/service chooses the records,
// opens the numbers and records the transfer.
package accreditation

import (
	"encoding/csv"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward"
	"steward/learning"
)

// Header is the file's first line (Dutch: PE-online's and the registers'
// language).
var Header = []string{"registratienummer", "cursus", "lms_cursus_id", "punten", "datum_afgerond"}

// Row is one person's accreditation for one course in the register's file.
type Row struct {
	// Number is the full registration number as PE-online expects it
	// (e.g. BIG-12345678901).
	Number      string
	Course      string
	LMSCourseID string
	Points      int
	CompletedAt string
}

// DefaultPrefix is written before an 11-digit BIG or quality-register
// number: PE-online's help shows registration numbers "BIG-xxxxxxxxxxx"
// for registers keyed by the BIG number; registers with numbers of their
// own take --number-prefix "".
const DefaultPrefix = "BIG-"

var digitsRE = regexp.MustCompile(`^[0-9]{11}$`)

// Number is the registration number written for a stored one (the
// policy's big_number: 11 digits); false for a value that is not one,
// which is skipped like a missing number, never exported half.
func Number(stored, prefix string) (string, bool) {
	stored = strings.ReplaceAll(strings.TrimSpace(stored), " ", "")
	if !digitsRE.MatchString(stored) {
		return "", false
	}
	return prefix + stored, true
}

// PointsIn returns the points c earns in register, 0 for none.
func PointsIn(c *learning.Course, register string) int {
	for _, p := range c.Points {
		if p.Register == register {
			return p.Points
		}
	}
	return 0
}

// CheckRegister refuses a register no course of the catalogue earns
// points in: a typo would otherwise write an empty file and report
// nothing.
func CheckRegister(courses []learning.Course, register string) error {
	for i := range courses {
		if PointsIn(&courses[i], register) > 0 {
			return nil
		}
	}
	return steward.FieldError("register", "error.accreditation_register", "register", register)
}

// Due reports whether an accreditation completed on completedAt (a
// YYYY-MM-DD day) and reported on reportedAt ("" when never) goes into
// an export since since: completed on or after it, and not reported
// before unless again.
func Due(completedAt, reportedAt string, since time.Time, again bool) bool {
	day, err := time.Parse(time.DateOnly, completedAt)
	if err != nil || day.Before(since) {
		return false
	}
	return again || reportedAt == ""
}

// Write writes rows as CSV, sorted by course then number.
func Write(w io.Writer, rows []Row) error {
	slices.SortFunc(rows, func(a, b Row) int {
		if c := strings.Compare(a.Course, b.Course); c != 0 {
			return c
		}
		return strings.Compare(a.Number, b.Number)
	})
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{r.Number, r.Course, r.LMSCourseID, strconv.Itoa(r.Points), r.CompletedAt}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
