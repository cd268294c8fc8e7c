// Package service keeps the site's usage counts (issue 18 item 8): the
// counter the web layer adds to, its flush into the database, the removal
// of days older than the policy keeps them, and the report.
package service

import (
	"context"
	"fmt"
	"time"

	"steward/clock"
	"steward/policy"
	"steward/store"
	"steward/usage"
)

// Service counts page views per day for a site whose policy declares
// usage_counts. A nil *Service counts nothing.
type Service struct {
	Store *store.Store
	Clock clock.Clock
	// Keep is how long a day's counts are kept after that day.
	Keep    policy.Duration
	counter usage.Counter
}

// New returns the service for p, or nil when p declares no usage counts.
func New(st *store.Store, clk clock.Clock, p *policy.Policy) *Service {
	if p.UsageCounts == nil {
		return nil
	}
	return &Service{Store: st, Clock: clk, Keep: p.UsageCounts.Keep}
}

// Count counts a response if it is a page view (usage.Page).
func (s *Service) Count(method, pattern string, status int, contentType string) {
	if s == nil {
		return
	}
	if page, ok := usage.Page(method, pattern, status, contentType); ok {
		s.counter.Add(page, s.Clock.Now())
	}
}

// Flush writes the counts added since the last flush and deletes the days
// older than the policy keeps, in one transaction. Counts it could not
// write stay in the counter for the next flush.
func (s *Service) Flush(ctx context.Context) error {
	if s == nil {
		return nil
	}
	counts := s.counter.Take()
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.AddPageCounts(ctx, counts); err != nil {
			return err
		}
		_, err := tx.DeletePageCountsBefore(ctx, s.Oldest())
		return err
	})
	if err != nil {
		s.counter.Return(counts)
		return fmt.Errorf("usage: flush %d counts: %w", len(counts), err)
	}
	return nil
}

// Oldest is the first day whose counts are still kept now.
func (s *Service) Oldest() string {
	return usage.Day(s.Keep.SubFrom(s.Clock.Now()))
}

// Report returns the counts of the days from..to, both included, newest
// day first.
func (s *Service) Report(ctx context.Context, from, to time.Time) ([]usage.Count, error) {
	return s.Store.PageCounts(ctx, usage.Day(from), usage.Day(to))
}
