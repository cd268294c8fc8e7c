package testkit

import (
	"syscall"
	"testing"
	"time"
)

// CPUTime is the CPU time this process has used, user and system. On the
// shared benchmark machine a wall-clock figure moves with everyone else's
// load; the CPU an operation costs this process moves much less.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ReportCPU reports the process's CPU time per operation since start, in
// milliseconds (the PostgreSQL server's CPU is not in it).
func ReportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((CPUTime()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
