package testkit

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ServerCPUTime is the CPU time the local PostgreSQL server's processes
// have used, user and system: every process named postgres, and the
// backends that have ended (counted in their postmaster's children's
// time). A benchmark of a PostgreSQL store reports it beside CPUTime,
// since on this machine the server shares the cores with the process;
// it includes what other clients of the same server did meanwhile. 0
// when /proc cannot be read (not Linux, another user's server).
func ServerCPUTime() time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || end < open || string(b[open+1:end]) != "postgres" {
			continue
		}
		// After the name: state (3), ..., utime (14), stime (15),
		// cutime (16), cstime (17).
		f := bytes.Fields(b[end+1:])
		if len(f) < 15 {
			continue
		}
		for _, i := range []int{11, 12, 13, 14} {
			n, _ := strconv.ParseInt(string(f[i]), 10, 64)
			ticks += n
		}
	}
	// USER_HZ is 100 on every Linux this runs on.
	return time.Duration(ticks) * 10 * time.Millisecond
}
