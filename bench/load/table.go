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

// step is one measurement of a repetition: its rates by name (a login
// step also measures the ceilings around it) and what it prints.
type step struct {
	name string
	run  func(rate, p99 map[string][]float64) error
}

// The ceilings beside a login phase. The bare argon2id ceiling is
// measured in this process and a login phase in serve, so the two run at
// different moments, and this shared machine's speed moves by a tenth or
// more from one minute to the next (the ceiling went from 70.7–78.8 to
// 54.8–70.6 hashes/s between two quiet hours): one ceiling measured
// beside the login phases compared each of them with a different
// minute. So each login phase is bracketed: the ceiling for half the
// duration directly before it and half directly after, and the phase is
// divided by their mean, which is the ceiling at the phase's midpoint
// when the machine's speed drifts linearly. The plain ceiling (the
// issue's reference) brackets the phase closest; the ceiling with huge
// pages (as serve has them) brackets that, outermost, so its memory
// going back to the system after it (FreeOSMemory) lies outside the
// plain pair and the login phase alike.
const (
	plainCeiling = "argon2id ceiling"
	hugeCeiling  = "argon2id ceiling, huge pages"
)

// ceilingName is the name under which a login step's ceiling is kept:
// "argon2id ceiling beside steward login c8", its before and after
// measurements under the same name with " (before)" and " (after)".
func ceilingName(ceiling, login string) string { return ceiling + " beside " + login }

// runTable measures, reps times with the order rotated each time, Steward's
// and PocketBase's authenticated profile reads at c16 and c64 and Steward's
// logins at c8 and c64, each login phase bracketed by the bare argon2id
// ceiling (plain and with huge pages) directly before and after it, and
// prints the same-run ratios (min/median/max) against issue 15's goals.
func runTable(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("table", flag.ExitOnError)
	sURL := fs.String("steward", "http://127.0.0.1:8080", "Steward base URL")
	pURL := fs.String("pocketbase", "http://127.0.0.1:8090", "PocketBase base URL")
	reps := fs.Int("reps", 3, "repetitions")
	d := fs.Duration("d", 8*time.Second, "duration of each measurement (each ceiling beside a login phase: half of it before, half after)")
	accounts := fs.Int("accounts", 1000, "seeded accounts (both)")
	fs.Parse(args)
	var logins atomic.Int64
	logins.Store(rand.Int64N(1 << 20))
	procs := runtime.GOMAXPROCS(0)
	load := func(target, url, op string, c int) func(rate, p99 map[string][]float64) error {
		name := fmt.Sprintf("%s %s c%d", target, op, c)
		return func(rate, p99 map[string][]float64) error {
			r, err := closedLoop(ctx, target, url, op, c, *d, *accounts, &logins)
			if err != nil {
				return err
			}
			rate[name] = append(rate[name], r.PerSec())
			p99[name] = append(p99[name], ms(r.P99))
			fmt.Println("  " + r.String())
			return nil
		}
	}
	// ceiling measures one half of a bracket and keeps it under its
	// before or after name.
	ceiling := func(rate map[string][]float64, which, login, when string) {
		v := argon2CeilingPages(procs, *d/2, which == hugeCeiling)
		name := ceilingName(which, login) + " (" + when + ")"
		rate[name] = append(rate[name], v)
		fmt.Printf("  %-28s %6.1f hashes/s (%d at once, %s %s)\n", which, v, procs, when, login)
	}
	// bracketed is a login phase between its ceilings: huge pages, plain,
	// the phase, plain, huge pages; the mean of each pair is kept under
	// ceilingName.
	bracketed := func(c int) func(rate, p99 map[string][]float64) error {
		login := fmt.Sprintf("steward login c%d", c)
		phase := load("steward", *sURL, "login", c)
		return func(rate, p99 map[string][]float64) error {
			ceiling(rate, hugeCeiling, login, "before")
			ceiling(rate, plainCeiling, login, "before")
			if err := phase(rate, p99); err != nil {
				return err
			}
			ceiling(rate, plainCeiling, login, "after")
			ceiling(rate, hugeCeiling, login, "after")
			for _, which := range []string{plainCeiling, hugeCeiling} {
				n := ceilingName(which, login)
				b, a := rate[n+" (before)"], rate[n+" (after)"]
				rate[n] = append(rate[n], (b[len(b)-1]+a[len(a)-1])/2)
			}
			return nil
		}
	}
	steps := []step{
		{"steward profile c16", load("steward", *sURL, "profile", 16)},
		{"pocketbase profile c16", load("pocketbase", *pURL, "profile", 16)},
		{"steward profile c64", load("steward", *sURL, "profile", 64)},
		{"pocketbase profile c64", load("pocketbase", *pURL, "profile", 64)},
		{"steward login c8", bracketed(8)},
		{"steward login c64", bracketed(64)},
	}
	rate := map[string][]float64{}
	p99 := map[string][]float64{}
	for rep := range *reps {
		order := append(slices.Clone(steps[rep%len(steps):]), steps[:rep%len(steps)]...)
		fmt.Printf("repetition %d (load average %s)\n", rep+1, loadAverage())
		for _, s := range order {
			if err := s.run(rate, p99); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
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
	// spread is min / median / max of v at the given decimals.
	spread := func(v []float64, dec int) string {
		s := slices.Clone(v)
		slices.Sort(s)
		return fmt.Sprintf("%.*f / %.*f / %.*f", dec, s[0], dec, s[len(s)/2], dec, s[len(s)-1])
	}
	row("profile read c16, Steward / PocketBase", ratio("steward profile c16", "pocketbase profile c16"), ">= 2.5x", func(x float64) bool { return x >= 2.5 }, "x")
	row("profile read c64, Steward / PocketBase", ratio("steward profile c64", "pocketbase profile c64"), ">= 2.5x", func(x float64) bool { return x >= 2.5 }, "x")
	for _, c := range []int{8, 64} {
		login := fmt.Sprintf("steward login c%d", c)
		row(fmt.Sprintf("logins/s c%d / bare argon2id ceiling beside it", c), ratio(login, ceilingName(plainCeiling, login)),
			">= 0.85", func(x float64) bool { return x >= 0.85 }, "")
	}
	row("login c64 p99 (ms)", p99["steward login c64"], "< 1500 ms", func(x float64) bool { return x < 1500 }, "")
	// Both ceilings of each bracket, and how far the machine moved
	// between them: a phase whose ceilings differ much was measured
	// while the machine changed speed.
	fmt.Println("the bare ceilings beside the login phases, hashes/s (min / median / max):")
	for _, c := range []int{8, 64} {
		login := fmt.Sprintf("steward login c%d", c)
		n := ceilingName(plainCeiling, login)
		fmt.Printf("  c%-3d before %s, after %s; after / before %s\n", c, spread(rate[n+" (before)"], 1), spread(rate[n+" (after)"], 1),
			spread(ratio(n+" (after)", n+" (before)"), 2))
	}
	// The ceiling is a plain process; serve backs its hashes with
	// huge pages where the system lets it, so the same ratios against a
	// ceiling that does too say what is left on equal terms.
	fmt.Println("the same on equal terms (ceiling with huge pages, as serve):")
	for _, c := range []int{8, 64} {
		login := fmt.Sprintf("steward login c%d", c)
		n := ceilingName(hugeCeiling, login)
		row(fmt.Sprintf("  logins/s c%d / ceiling with huge pages beside it", c), ratio(login, n), ">= 0.85", func(x float64) bool { return x >= 0.85 }, "")
		fmt.Printf("  c%-3d before %s, after %s hashes/s\n", c, spread(rate[n+" (before)"], 1), spread(rate[n+" (after)"], 1))
	}
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
