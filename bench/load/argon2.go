package main

import (
	"flag"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"steward/account"
	"steward/internal/hugepages"
)

// argon2Ceiling hashes with Steward's parameters (account.DefaultParams)
// on conc goroutines for d and returns hashes per second: what logins/s
// could be if a login cost nothing but its hash.
func argon2Ceiling(conc int, d time.Duration) float64 {
	return argon2CeilingPages(conc, d, false)
}

// argon2CeilingPages is argon2Ceiling with the load tool's own heap in
// transparent huge pages while it runs (huge true), as serve has its
// hashes' memory (internal/hugepages): the ceiling of a login on equal
// terms. Where the system does not leave huge pages to the program, it
// is the plain ceiling.
func argon2CeilingPages(conc int, d time.Duration, huge bool) float64 {
	if huge {
		hugepages.Heap{}.Advise(true)
		defer func() {
			hugepages.Heap{}.Advise(false)
			debug.FreeOSMemory()
		}()
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for range conc {
		wg.Go(func() {
			for time.Now().Before(end) {
				account.HashPassword(Password, account.DefaultParams)
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

func runArgon2(args []string) error {
	fs := flag.NewFlagSet("argon2", flag.ExitOnError)
	conc := fs.Int("c", 8, "goroutines hashing at once")
	huge := fs.Bool("huge-pages", false, "advise transparent huge pages for the heap while hashing (as serve does)")
	d := fs.Duration("d", 10*time.Second, "duration")
	fs.Parse(args)
	fmt.Printf("argon2id %+v c%d huge pages %v: %.1f hashes/s\n", account.DefaultParams, *conc, *huge && hugepages.Available(), argon2CeilingPages(*conc, *d, *huge))
	return nil
}
