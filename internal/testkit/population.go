package testkit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"steward/account"
	"steward/anonymise"
	"steward/audit"
	"steward/policy"
	"steward/store"
)

// PopulationColumns are the profile fields of Population's rows, in order:
// Zorginspirator's partner export columns.
var PopulationColumns = []string{"profile.gender", "profile.age", "profile.postcode", "profile.current_job", "profile.work_preferences"}

// Population is the synthetic set of n people the anonymisation tests and
// benchmarks use (issue 19), the same for the same n: ages 18–67 weighted
// to the working middle, four gender values and missing (""), postcodes
// spread over the country, jobs from the policy's groups, a work
// preference. It is written for the tests, not drawn from anyone. The
// config is p's FWG export's: its hierarchies, sensitive field, k, l and
// the most rows it may suppress.
func Population(p *policy.Policy, n int) (anonymise.Dataset, anonymise.Config) {
	e := p.Processor("fwg").Export
	hier := map[string]*anonymise.Hierarchy{}
	for _, f := range e.Fields {
		if g := p.Generalisation(f); g != nil {
			hier[f] = anonymise.NewHierarchy(g)
		}
	}
	var jobs []string
	for _, g := range p.Generalisation("profile.current_job").Levels[0].Groups {
		jobs = append(jobs, g.Members...)
	}
	rnd := rand.New(rand.NewPCG(19, 2026))
	d := anonymise.Dataset{Columns: PopulationColumns}
	for range n {
		age := 18 + (rnd.IntN(50)+rnd.IntN(50))/2
		gender := []string{"female", "female", "female", "male", "other", "undisclosed", ""}[rnd.IntN(7)]
		pc := strconv.Itoa(1000+rnd.IntN(9000)) + " AB"
		d.Rows = append(d.Rows, []string{gender, strconv.Itoa(age), pc, jobs[rnd.IntN(len(jobs))],
			[]string{"parttime", "fulltime", "nachtdienst", "thuiszorg", ""}[rnd.IntN(5)]})
	}
	return d, anonymise.Config{Hierarchies: hier, Sensitive: []string{"profile.work_preferences"}, K: e.MinK, L: e.MinL,
		MaxSuppressed: n * e.MaxSuppressedPercent / 100}
}

// StorePopulation stores d's people as confirmed accounts acc0000000,
// acc0000001, … with their profile values (a missing one left out), a
// thousand per transaction. each, when set, adds more of person i's rows
// in the same transaction.
func StorePopulation(ctx context.Context, s *store.Store, p *policy.Policy, d anonymise.Dataset, at time.Time, each func(tx *store.Tx, id string, i int) error) error {
	for from := 0; from < len(d.Rows); from += 1000 {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for i := from; i < min(from+1000, len(d.Rows)); i++ {
				id := fmt.Sprintf("acc%07d", i)
				if err := tx.InsertAccount(ctx, &account.Account{ID: id, Email: id + "@example.org", Pseudonym: string(audit.NewPseudonym()),
					CreatedAt: at, ConfirmedAt: at}); err != nil {
					return err
				}
				vals := account.Values{}
				for j, f := range d.Columns {
					if v := d.Rows[i][j]; v != "" {
						vals[strings.TrimPrefix(f, "profile.")] = v
					}
				}
				if err := tx.PutProfile(ctx, p, id, "profile", vals, at); err != nil {
					return err
				}
				if each != nil {
					if err := each(tx, id, i); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("testkit: store population %d-%d: %w", from, min(from+1000, len(d.Rows))-1, err)
		}
	}
	return nil
}
