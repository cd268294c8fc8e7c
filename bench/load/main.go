// Command load is Steward's side-by-side benchmark (issue 15): a closed
// loop of N workers against Steward and PocketBase on this machine, the
// bare argon2id ceiling at Steward's parameters, and the seeding both
// need. bench/run.sh builds and starts both servers and runs it; see
// docs/performance.md.
//
//	load seed-steward --db sqlite:PATH --accounts N
//	load seed-pocketbase --url URL --accounts N --admin EMAIL --admin-password PW
//	load run --target steward|pocketbase --op profile|login|mixed --url URL -c N -d 10s
//	load table --steward URL --pocketbase URL --reps 3 -d 10s
//
// It lives in its own module under bench/ so 'go test ./...' and the
// steward binary never see it, and PocketBase stays out of go.mod.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: load seed-steward|seed-pocketbase|run|argon2|table [flags]")
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "seed-steward":
		err = seedSteward(ctx, os.Args[2:])
	case "seed-pocketbase":
		err = seedPocketBase(ctx, os.Args[2:])
	case "run":
		err = runOnce(ctx, os.Args[2:])
	case "argon2":
		err = runArgon2(os.Args[2:])
	case "table":
		err = runTable(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// Password is every seeded account's password, on both servers.
const Password = "correct horse battery"

// email is seeded account i's address, the same on both servers.
func email(i int) string { return fmt.Sprintf("bench%05d@example.org", i) }
