package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func runVersion(ctx context.Context, a *app, args []string) error {
	fs := a.flags("version", "", "Prints the version, the Go version and the policy format version.")
	if err := parse(fs, args); err != nil {
		return err
	}
	v := version
	if info, ok := debug.ReadBuildInfo(); ok && v == "dev" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v = "dev-" + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(a.stdout, "steward %s (%s, policy format %d)\n", v, runtime.Version(), policyFormat())
	return nil
}
