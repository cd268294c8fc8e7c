package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client is one worker's connection to a server: its HTTP client (one
// kept-alive connection) and, once logged in, its token.
type client struct {
	target string // steward or pocketbase
	base   string
	http   *http.Client
	token  string
	id     string
	// logins numbers this run's logins, so each comes from its own
	// address (Steward behind --trusted-proxy 127.0.0.1/32) and the
	// accounts take turns (Steward's per-account login limit).
	logins   *atomic.Int64
	accounts int
}

func newClient(target, base string, logins *atomic.Int64, accounts int) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}
	return &client{target: target, base: strings.TrimRight(base, "/"), http: &http.Client{Transport: tr, Timeout: 60 * time.Second},
		logins: logins, accounts: accounts}
}

// do sends a request and returns its status (0: no answer), reading the
// body whole; out, if not nil, receives a 2xx JSON body.
func (c *client) do(ctx context.Context, method, path string, body any, hdr map[string]string, out any) int {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if out != nil && resp.StatusCode/100 == 2 {
		json.Unmarshal(data, out)
	}
	return resp.StatusCode
}

// login logs the next account in and keeps its token.
func (c *client) login(ctx context.Context) int {
	n := c.logins.Add(1)
	i := int(n) % c.accounts
	if c.target == "pocketbase" {
		var out struct {
			Token  string `json:"token"`
			Record struct {
				ID string `json:"id"`
			} `json:"record"`
		}
		st := c.do(ctx, "POST", "/api/collections/users/auth-with-password", map[string]string{"identity": email(i), "password": Password}, nil, &out)
		if st == 200 {
			c.token, c.id = out.Token, out.Record.ID
		}
		return st
	}
	var out struct {
		Token string `json:"token"`
	}
	ip := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	st := c.do(ctx, "POST", "/api/v1/login", map[string]string{"email": email(i), "password": Password}, map[string]string{"X-Forwarded-For": ip}, &out)
	if st == 200 {
		c.token = out.Token
	}
	return st
}

// profile reads the logged-in person's own profile: Steward's
// GET /api/v1/profile, PocketBase's own users record.
func (c *client) profile(ctx context.Context) int {
	if c.target == "pocketbase" {
		return c.do(ctx, "GET", "/api/collections/users/records/"+c.id, nil, map[string]string{"Authorization": c.token}, nil)
	}
	return c.do(ctx, "GET", "/api/v1/profile", nil, map[string]string{"Authorization": "Bearer " + c.token}, nil)
}

// mixed is one request of the mixed load: 70% profile reads, 10% logins,
// 10% the person's data (JSON), 10% the home page.
func (c *client) mixed(ctx context.Context, r *rand.Rand) int {
	switch x := r.IntN(10); {
	case x < 7:
		return c.profile(ctx)
	case x == 7:
		return c.login(ctx)
	case x == 8:
		if c.target == "pocketbase" {
			return c.profile(ctx)
		}
		return c.do(ctx, "GET", "/api/v1/me/data", nil, map[string]string{"Authorization": "Bearer " + c.token}, nil)
	default:
		return c.do(ctx, "GET", "/", nil, nil, nil)
	}
}

// Result is one closed-loop run.
type Result struct {
	Target, Op string
	Conc       int
	Took       time.Duration
	Status     map[int]int
	OK         int
	P50, P99   time.Duration
}

// PerSec is the rate of 2xx answers.
func (r Result) PerSec() float64 { return float64(r.OK) / r.Took.Seconds() }

func (r Result) String() string {
	var st []string
	keys := make([]int, 0, len(r.Status))
	for k := range r.Status {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		st = append(st, fmt.Sprintf("%d x%d", k, r.Status[k]))
	}
	return fmt.Sprintf("%-10s %-7s c%-3d %8.1f ok/s  p50 %7.1f ms  p99 %7.1f ms  [%s]", r.Target, r.Op, r.Conc, r.PerSec(),
		ms(r.P50), ms(r.P99), strings.Join(st, ", "))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// closedLoop runs conc workers against target for d: each sends its next
// request when the last one is answered. Profile and mixed workers log in
// first (not timed).
func closedLoop(ctx context.Context, target, base, op string, conc int, d time.Duration, accounts int, logins *atomic.Int64) (Result, error) {
	clients := make([]*client, conc)
	for i := range clients {
		clients[i] = newClient(target, base, logins, accounts)
		if op != "login" {
			if st := clients[i].login(ctx); st != 200 {
				return Result{}, fmt.Errorf("%s: worker %d cannot log in: status %d", target, i, st)
			}
		}
	}
	lat := make([][]time.Duration, conc)
	stat := make([]map[int]int, conc)
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for w := range conc {
		stat[w] = map[int]int{}
		wg.Go(func() {
			c := clients[w]
			r := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for time.Now().Before(end) {
				t0 := time.Now()
				var st int
				switch op {
				case "profile":
					st = c.profile(ctx)
				case "login":
					st = c.login(ctx)
				default:
					st = c.mixed(ctx, r)
				}
				lat[w] = append(lat[w], time.Since(t0))
				stat[w][st]++
			}
		})
	}
	wg.Wait()
	res := Result{Target: target, Op: op, Conc: conc, Took: time.Since(start), Status: map[int]int{}}
	var all []time.Duration
	for w := range conc {
		all = append(all, lat[w]...)
		for k, v := range stat[w] {
			res.Status[k] += v
			if k/100 == 2 {
				res.OK += v
			}
		}
	}
	slices.Sort(all)
	if len(all) > 0 {
		res.P50 = all[len(all)*50/100]
		res.P99 = all[min(len(all)-1, len(all)*99/100)]
	}
	for _, c := range clients {
		c.http.CloseIdleConnections()
	}
	return res, nil
}

func runOnce(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	target := fs.String("target", "steward", "steward or pocketbase")
	url := fs.String("url", "http://127.0.0.1:8080", "server base URL")
	op := fs.String("op", "profile", "profile, login or mixed")
	conc := fs.Int("c", 16, "workers (connections)")
	d := fs.Duration("d", 10*time.Second, "duration")
	accounts := fs.Int("accounts", 1000, "seeded accounts")
	fs.Parse(args)
	var logins atomic.Int64
	logins.Store(rand.Int64N(1 << 20))
	r, err := closedLoop(ctx, *target, *url, *op, *conc, *d, *accounts, &logins)
	if err != nil {
		return err
	}
	fmt.Println(r)
	fivexx := 0
	for k, v := range r.Status {
		if k >= 500 || k == 0 {
			fivexx += v
		}
	}
	fmt.Printf("5xx or no answer: %d\n", fivexx)
	return nil
}
