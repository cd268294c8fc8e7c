package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/store"
	"steward/xapi"
)

// BenchmarkXAPIStatements measures statements accepted per second through
// the real handler over HTTP (issue 16 benchmarks; goal ≥ 2,000/s single,
// ≥ 20,000/s batched): each op is one POST of one statement, or of a batch
// of 100, each statement a new learning_result record with its audit
// entry in the request's one transaction. Reported as statements/s.
func BenchmarkXAPIStatements(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", testkit.SQLite}, {"postgres", testkit.Postgres}} {
		for _, batch := range []int{1, 100} {
			b.Run(fmt.Sprintf("%s/batch%d", db.name, batch), func(b *testing.B) {
				x := newXAPISite(b, db.open(b))
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
				body := func() string {
					parts := make([]string, batch)
					for i := range parts {
						parts[i] = statement(xapi.NewID(), x.srv.URL, x.lmsID, "scored", x.moodle, `{"score": {"scaled": 0.75}}`)
					}
					if batch == 1 {
						return parts[0]
					}
					return "[" + strings.Join(parts, ",") + "]"
				}
				bodies := make([]string, b.N)
				for i := range bodies {
					bodies[i] = body()
				}
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					req, _ := http.NewRequest("POST", x.srv.URL+"/xapi/statements", strings.NewReader(bodies[i]))
					req.SetBasicAuth(x.client.user, x.client.secret)
					req.Header.Set("X-Experience-API-Version", "1.0.3")
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "statements/s")
			})
		}
	}
}
