package main

import (
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"steward/account"
)

// argon2Ceiling hashes with Steward's parameters (account.DefaultParams)
// on conc goroutines for d and returns hashes per second: what logins/s
// could be if a login cost nothing but its hash.
func argon2Ceiling(conc int, d time.Duration) float64 {
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
	d := fs.Duration("d", 10*time.Second, "duration")
	fs.Parse(args)
	fmt.Printf("argon2id %+v c%d: %.1f hashes/s\n", account.DefaultParams, *conc, argon2Ceiling(*conc, *d))
	return nil
}
