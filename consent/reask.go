package consent

import "time"

// ReasonAskedAgain: the person's consent was given with a notice text
// that was since reworded in substance, and the change has taken effect:
// it no longer counts for new processing until they give it again
// (issue 20, Z11).
const ReasonAskedAgain Reason = "consent_asked_again"

// Reask says that consent for Purpose given with one of the notice texts
// in Hashes no longer counts from From on: version Version of the policy
// reworded that notice in substance (policy/diff), and From is when the
// version takes effect. Consent given with the new words, or with words
// that changed only in a text edit, is not in Hashes and stands.
type Reask struct {
	Purpose string
	Version int
	From    time.Time
	Hashes  map[string]bool
}

// Reasks are every notice reworded in substance over a site's published
// versions (policy/publication computes them).
type Reasks []Reask

// Asked reports whether consent for purpose given with the notice text
// hash is asked again at now, and by which change (the latest in force).
func (rs Reasks) Asked(purpose, hash string, now time.Time) (Reask, bool) {
	var out Reask
	found := false
	for _, r := range rs {
		if r.Purpose != purpose || !r.Hashes[hash] || now.Before(r.From) {
			continue
		}
		if !found || r.From.After(out.From) {
			out, found = r, true
		}
	}
	return out, found
}

// AskedAgain reports whether st, a standing consent, no longer counts at
// now because its notice text was reworded in substance since, and from
// when.
func (rs Reasks) AskedAgain(st Status, now time.Time) (time.Time, bool) {
	if !st.Given || st.Record == nil {
		return time.Time{}, false
	}
	r, ok := rs.Asked(st.Purpose, st.Record.NoticeHash, now)
	return r.From, ok
}
