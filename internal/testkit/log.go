package testkit

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// LogCapture is a logger whose output a test can scan. Every feature test
// that handles personal data passes one to the code under test and calls
// AssertNoValues with the subject's distinctive values: logs carry ids and
// field names, never personal values (R12, G2).
type LogCapture struct {
	*slog.Logger
	mu  sync.Mutex
	buf bytes.Buffer
}

// Log returns a debug-level logger that records everything it is given.
func Log(t testing.TB) *LogCapture {
	c := &LogCapture{}
	c.Logger = slog.New(slog.NewJSONHandler(lockedWriter{c}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return c
}

type lockedWriter struct{ c *LogCapture }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.c.buf.Write(p)
}

// String returns everything logged so far.
func (c *LogCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// AssertNoValues fails the test if any of the values appears in the log,
// case-insensitively.
func (c *LogCapture) AssertNoValues(t testing.TB, values ...string) {
	t.Helper()
	out := strings.ToLower(c.String())
	for _, v := range values {
		if v != "" && strings.Contains(out, strings.ToLower(v)) {
			t.Errorf("log holds the personal value %q; logs may carry ids and field names only", v)
		}
	}
}
