package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"steward/internal/testkit"
	"steward/store"
	"steward/usage"
)

// TestUsageReportCommand (issue 18 item 8): 'usage report' writes the
// counts of the days asked for as CSV, newest day first; a bad day or a
// period that ends before it starts exits 1 with one line; a site whose
// policy declares no usage counts is refused. Both stores.
func TestUsageReportCommand(t *testing.T) {
	testkit.ForEachDSN(t, func(t *testing.T, db string) {
		dir := t.TempDir()
		env := map[string]string{"STEWARD_AUDIT_KEY": filepath.Join(dir, "audit.key"), "STEWARD_DB": db,
			"STEWARD_POLICY": testkit.PolicyPath(t, "zorginspirator")}
		s := openTestStore(t, env)
		ctx := context.Background()
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.AddPageCounts(ctx, []usage.Count{{Day: "2026-11-01", Page: "/functies", Views: 7},
				{Day: "2026-11-02", Page: "/functies/{id}", Views: 3}, {Day: "2026-10-01", Page: "/", Views: 1}})
		}); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run(t, env, "usage", "report", "--from", "2026-11-01", "--to", "2026-11-30")
		if want := "day,page,views\n2026-11-02,/functies/{id},3\n2026-11-01,/functies,7\n"; code != 0 || out != want {
			t.Fatalf("report: exit %d\n%q\nwant %q\n%s", code, out, want, errOut)
		}
		for _, bad := range [][]string{{"--from", "1 november"}, {"--from", "2026-11-30", "--to", "2026-11-01"}} {
			code, out, errOut = run(t, env, append([]string{"usage", "report"}, bad...)...)
			if code != 1 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", bad, code, out, errOut)
			}
		}
		env["STEWARD_POLICY"] = testkit.PolicyPath(t, "ivm")
		if code, _, errOut = run(t, env, "usage", "report"); code != 1 || !strings.Contains(errOut, "declares no usage_counts") {
			t.Errorf("IVM: exit %d, %q", code, errOut)
		}
	})
}
