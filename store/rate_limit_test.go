package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"steward/internal/testkit"
	"steward/store"
)

// TestTakeTokenIsABucket: burst tokens at once, then one per interval,
// with the wait until the next; keys and buckets apart; pruning forgets
// only full buckets, and no key is stored as given.
func TestTakeTokenIsABucket(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
		take := func(bucket, key string, at time.Time) (bool, time.Duration) {
			t.Helper()
			ok, wait, err := s.TakeToken(ctx, bucket, key, 3, time.Minute, at)
			if err != nil {
				t.Fatal(err)
			}
			return ok, wait
		}
		for i := range 3 {
			if ok, _ := take("login", "203.0.113.7", now); !ok {
				t.Fatalf("token %d of the burst refused", i+1)
			}
		}
		if ok, wait := take("login", "203.0.113.7", now); ok || wait != time.Minute {
			t.Fatalf("fourth at once: ok %v wait %v; want refused, wait 1m", ok, wait)
		}
		if ok, wait := take("login", "203.0.113.7", now.Add(20*time.Second)); ok || wait != 40*time.Second {
			t.Fatalf("after 20 s: ok %v wait %v; want refused, wait 40s", ok, wait)
		}
		if ok, _ := take("login", "203.0.113.7", now.Add(time.Minute)); !ok {
			t.Fatal("refused after one interval")
		}
		if ok, _ := take("login", "198.51.100.1", now); !ok {
			t.Fatal("another key shares the bucket")
		}
		if ok, _ := take("signup", "203.0.113.7", now); !ok {
			t.Fatal("another bucket shares the key")
		}
		var stored int
		s.Read().QueryRow(`SELECT COUNT(*) FROM rate_limits WHERE key LIKE '%203.0%'`).Scan(&stored)
		if stored != 0 {
			t.Fatal("a key is stored as given")
		}
		n, err := s.PruneRateLimits(ctx, now.Add(2*time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("prune at +2m: %d rows, %v; want the 2 full buckets", n, err)
		}
		if n, _ := s.PruneRateLimits(ctx, now.Add(time.Hour)); n != 1 {
			t.Fatalf("prune at +1h: %d rows, want the last one", n)
		}
	})
}

// TestTakeTokenConcurrently: 20 takers at once on one key with a burst of
// 5 get exactly 5 tokens — the statement is atomic.
func TestTakeTokenConcurrently(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		var wg sync.WaitGroup
		granted := 0
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := s.TakeToken(context.Background(), "login", "one", 5, time.Hour, now)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					granted++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if granted != 5 {
			t.Fatalf("%d tokens granted, want 5", granted)
		}
	})
}
