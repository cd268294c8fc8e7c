package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// step is one measurement of a repetition.
type step struct {
	name string
	run  func() (float64, Result, error)
}

// runTable measures, reps times with the order rotated each time, Steward's
// and PocketBase's authenticated profile reads at c16 and c64, Steward's
// logins at c8 and c64 and the bare argon2id ceiling beside each, and
// prints the same-run ratios (min/median/max) against issue 15's goals.
func runTable(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("table", flag.ExitOnError)
	sURL := fs.String("steward", "http://127.0.0.1:8080", "Steward base URL")
	pURL := fs.String("pocketbase", "http://127.0.0.1:8090", "PocketBase base URL")
	reps := fs.Int("reps", 3, "repetitions")
	d := fs.Duration("d", 8*time.Second, "duration of each measurement")
	accounts := fs.Int("accounts", 1000, "seeded accounts (both)")
	fs.Parse(args)
	var logins atomic.Int64
	logins.Store(rand.Int64N(1 << 20))
	load := func(target, url, op string, c int) func() (float64, Result, error) {
		return func() (float64, Result, error) {
			r, err := closedLoop(ctx, target, url, op, c, *d, *accounts, &logins)
			return r.PerSec(), r, err
		}
	}
	ceil := func() (float64, Result, error) {
		return argon2Ceiling(runtime.GOMAXPROCS(0), *d), Result{}, nil
	}
	ceilHuge := func() (float64, Result, error) {
		return argon2CeilingPages(runtime.GOMAXPROCS(0), *d, true), Result{}, nil
	}
	steps := []step{
		{"steward profile c16", load("steward", *sURL, "profile", 16)},
		{"pocketbase profile c16", load("pocketbase", *pURL, "profile", 16)},
		{"steward profile c64", load("steward", *sURL, "profile", 64)},
		{"pocketbase profile c64", load("pocketbase", *pURL, "profile", 64)},
		{"steward login c8", load("steward", *sURL, "login", 8)},
		{"argon2id ceiling", ceil},
		{"argon2id ceiling, huge pages", ceilHuge},
		{"steward login c64", load("steward", *sURL, "login", 64)},
	}
	rate := map[string][]float64{}
	p99 := map[string][]float64{}
	for rep := range *reps {
		order := append(slices.Clone(steps[rep%len(steps):]), steps[:rep%len(steps)]...)
		fmt.Printf("repetition %d (load average %s)\n", rep+1, loadAverage())
		for _, s := range order {
			v, r, err := s.run()
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			rate[s.name] = append(rate[s.name], v)
			p99[s.name] = append(p99[s.name], ms(r.P99))
			if r.Target != "" {
				fmt.Println("  " + r.String())
			} else {
				fmt.Printf("  %-28s %6.1f hashes/s (%d at once)\n", s.name, v, runtime.GOMAXPROCS(0))
			}
		}
	}
	ratio := func(a, b string) []float64 {
		out := make([]float64, len(rate[a]))
		for i := range out {
			out[i] = rate[a][i] / rate[b][i]
		}
		return out
	}
	fmt.Printf("\n%-58s %-22s %s\n", "benchmark (same-run ratio)", "min / median / max", "goal")
	row := func(name string, v []float64, goal string, met func(float64) bool, unit string) {
		s := slices.Clone(v)
		slices.Sort(s)
		mark := "met"
		if !met(s[len(s)/2]) {
			mark = "NOT met"
		}
		fmt.Printf("%-58s %-22s %s (%s, by the median)\n", name, fmt.Sprintf("%.2f / %.2f / %.2f%s", s[0], s[len(s)/2], s[len(s)-1], unit), goal, mark)
	}
	row("profile read c16, Steward / PocketBase", ratio("steward profile c16", "pocketbase profile c16"), ">= 2.5x", func(x float64) bool { return x >= 2.5 }, "x")
	row("profile read c64, Steward / PocketBase", ratio("steward profile c64", "pocketbase profile c64"), ">= 2.5x", func(x float64) bool { return x >= 2.5 }, "x")
	row("logins/s c8 / bare argon2id ceiling", ratio("steward login c8", "argon2id ceiling"), ">= 0.85", func(x float64) bool { return x >= 0.85 }, "")
	row("logins/s c64 / bare argon2id ceiling", ratio("steward login c64", "argon2id ceiling"), ">= 0.85", func(x float64) bool { return x >= 0.85 }, "")
	row("login c64 p99 (ms)", p99["steward login c64"], "< 1500 ms", func(x float64) bool { return x < 1500 }, "")
	// The ceiling is a plain process; serve backs its hashes with
	// huge pages where the system lets it, so the same ratios against a
	// ceiling that does too say what is left on equal terms.
	fmt.Printf("%-58s %-22s %s\n", "the same on equal terms (ceiling with huge pages, as serve):", "", "")
	row("  logins/s c8 / argon2id ceiling with huge pages", ratio("steward login c8", "argon2id ceiling, huge pages"), ">= 0.85", func(x float64) bool { return x >= 0.85 }, "")
	row("  logins/s c64 / argon2id ceiling with huge pages", ratio("steward login c64", "argon2id ceiling, huge pages"), ">= 0.85", func(x float64) bool { return x >= 0.85 }, "")
	fmt.Printf("load average at the end: %s\n", loadAverage())
	return nil
}

// loadAverage is /proc/loadavg's first three numbers.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
