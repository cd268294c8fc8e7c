package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// checkpointer copies the SQLite write-ahead log back into the database
// file on a connection of its own, beside the writer, instead of inside
// the commit that crosses SQLite's 1,000-page mark: that checkpoint was a
// ninth of a batched xAPI run's CPU, all of it on the one writer that
// every transaction queues for (issue 16). A commit pokes it; it runs a
// PASSIVE checkpoint (which never blocks the writer nor waits for a
// reader) at most every checkpointEvery, so pages written again and
// again are copied about as often as before. The writer keeps its own
// checkpoint at a larger mark (writerCheckpointPages) for when this one
// cannot keep up.
type checkpointer struct {
	db   *sql.DB
	poke chan struct{}
	// quit is closed by stop (once); done when run has returned.
	quit, done chan struct{}
	once       sync.Once
}

// checkpointEvery is the least time between two checkpoints.
const checkpointEvery = 50 * time.Millisecond

// writerCheckpointPages is the WAL size, in pages, at which the writer's
// commit checkpoints by itself (SQLite's default is 1,000).
const writerCheckpointPages = 10000

// startCheckpointer opens db's connection's checkpointer.
func startCheckpointer(db *sql.DB) *checkpointer {
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, poke: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// wake asks for a checkpoint; it never blocks, also after stop.
func (c *checkpointer) wake() {
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	var last time.Time
	for {
		select {
		case <-c.quit:
			return
		case <-c.poke:
		}
		if wait := checkpointEvery - time.Since(last); wait > 0 {
			select {
			case <-c.quit:
				return
			case <-time.After(wait):
			}
		}
		last = time.Now()
		var busy, frames, copied int
		err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
		if err != nil {
			// The writer's own checkpoint still runs.
			slog.Warn("store: background checkpoint", "err", err)
		}
	}
}

// stop ends the checkpointer and closes its connection; calls after the
// first do nothing.
func (c *checkpointer) stop() (err error) {
	c.once.Do(func() {
		close(c.quit)
		<-c.done
		err = c.db.Close()
	})
	return err
}
