package web_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
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
//
// clients is how many requests are in flight at once: one client posting
// one request after another, or eight at a time as a learning
// environment's workers (or several environments) would, so commits can
// share a flush.
func BenchmarkXAPIStatements(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", testkit.SQLite}, {"postgres", testkit.Postgres}} {
		for _, batch := range []int{1, 100} {
			for _, clients := range []int{1, 8} {
				b.Run(fmt.Sprintf("%s/batch%d/c%d", db.name, batch, clients), func(b *testing.B) {
					benchmarkXAPI(b, db.open(b), batch, clients, db.name == "postgres")
				})
			}
		}
	}
}

func benchmarkXAPI(b *testing.B, s *store.Store, batch, clients int, server bool) {
	x := newXAPISite(b, s)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
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
	var next atomic.Int64
	errs := make(chan error, clients)
	b.ResetTimer()
	start, cpu, serverCPU := time.Now(), testkit.CPUTime(), testkit.ServerCPUTime()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				req, _ := http.NewRequest("POST", x.srv.URL+"/xapi/statements", strings.NewReader(bodies[i]))
				req.SetBasicAuth(x.client.user, x.client.secret)
				req.Header.Set("X-Experience-API-Version", "1.0.3")
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				// Read to the end, so the connection is used again as a
				// learning environment's client keeps it (a body closed
				// unread closes its connection: a new one per request).
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "statements/s")
	// The CPU a statement costs this process (client and server; not the
	// PostgreSQL server's): on a loaded machine it moves far less than
	// the rate.
	b.ReportMetric(float64((testkit.CPUTime()-cpu).Microseconds())/float64(b.N*batch), "cpu-µs/statement")
	if server {
		// The PostgreSQL server's CPU, which shares the two cores: what
		// a statement costs it (other clients of the server included).
		b.ReportMetric(float64((testkit.ServerCPUTime()-serverCPU).Microseconds())/float64(b.N*batch), "server-cpu-µs/statement")
	}
}
